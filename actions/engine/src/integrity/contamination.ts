import type { IntegrityFinding } from '@ptb/core';
import type { TextSource } from './text-sources.ts';

export const tokens = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

export interface ContaminationOptions {
  n: number;
  /** Share of an item's n-grams found in one source that makes it a hit. */
  threshold: number;
  /** Hits tolerated as accidental before the finding becomes a violation. */
  tolerated: number;
}

export const CONTAMINATION_DEFAULTS: ContaminationOptions = { n: 8, threshold: 0.8, tolerated: 3 };

/** A 32-bit hash of a token (FNV-1a). */
function tokenHash(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) {
    h ^= t.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hash of n consecutive token hashes; two independent 26-bit lanes make a 52-bit key (collisions negligible here). */
function gramKey(hashes: Uint32Array, start: number, n: number): number {
  let a = 7;
  let b = 11;
  for (let i = start; i < start + n; i++) {
    const h = hashes[i] as number;
    a = (Math.imul(a, 31) + h) >>> 0;
    b = (Math.imul(b, 131) + (h ^ 0x9e3779b9)) >>> 0;
  }
  return (a & 0x3ffffff) * 0x4000000 + (b & 0x3ffffff);
}

function hashText(text: string): Uint32Array {
  const out: number[] = [];
  const re = /[a-z0-9]+/g;
  const lower = text.toLowerCase();
  for (let m = re.exec(lower); m; m = re.exec(lower)) out.push(tokenHash(m[0]));
  return Uint32Array.from(out);
}

interface Item {
  id: string;
  n: number;
  grams: number;
}

/**
 * Finds test items in text the agent left anywhere (files, archives, decoded runs, the
 * trace): n-gram overlap (n = 8, shorter for short items). An item counts as found when
 * most of its n-grams occur in one source; a few hits are tolerated as accidental. The
 * sources are streamed: each is hashed once per n and dropped, so hundreds of megabytes of
 * text cost time, not memory.
 */
export async function scanContamination(
  sources: AsyncIterable<TextSource> | Iterable<TextSource>,
  testItems: readonly { id: string; text: string }[],
  opts: ContaminationOptions = CONTAMINATION_DEFAULTS,
): Promise<IntegrityFinding[]> {
  const items: Item[] = [];
  // gram key -> [item index, gram index] pairs, per n.
  const index = new Map<number, Map<number, [number, number][]>>();
  for (const item of testItems) {
    const hashes = hashText(item.text);
    if (hashes.length < 4) continue;
    const n = Math.min(opts.n, hashes.length);
    const grams = hashes.length - n + 1;
    const at = items.push({ id: item.id, n, grams }) - 1;
    const byN = index.get(n) ?? new Map<number, [number, number][]>();
    index.set(n, byN);
    for (let g = 0; g < grams; g++) {
      const key = gramKey(hashes, g, n);
      const list = byN.get(key) ?? [];
      list.push([at, g]);
      byN.set(key, list);
    }
  }
  const found = new Map<number, string>();
  for await (const source of sources) {
    const hashes = hashText(source.text);
    const seen = new Map<number, Set<number>>();
    for (const [n, byN] of index) {
      for (let i = 0; i + n <= hashes.length; i++) {
        const refs = byN.get(gramKey(hashes, i, n));
        if (!refs) continue;
        for (const [item, gram] of refs) {
          if (found.has(item)) continue;
          const set = seen.get(item) ?? new Set<number>();
          set.add(gram);
          seen.set(item, set);
        }
      }
    }
    for (const [item, set] of seen) {
      const it = items[item] as Item;
      if (!found.has(item) && set.size / it.grams >= opts.threshold)
        found.set(item, `${it.id} found in ${source.path} (${set.size}/${it.grams} ${it.n}-grams)`);
    }
  }
  const hits = [...found.values()];
  if (hits.length === 0) return [];
  const violation = hits.length > opts.tolerated;
  return [
    {
      check: 'contamination',
      severity: violation ? 'violation' : 'warning',
      summary: `${hits.length} test item(s) appear in what the agent left (files, archives, decoded text, its trace)${violation ? '' : ` (up to ${opts.tolerated} tolerated as accidental)`}`,
      evidence: hits.slice(0, 50),
    },
  ];
}

/** The same scan over plain sources (kept for callers with text in hand). */
export function contaminationFindings(
  sources: readonly TextSource[],
  testItems: readonly { id: string; text: string }[],
  opts: ContaminationOptions = CONTAMINATION_DEFAULTS,
): Promise<IntegrityFinding[]> {
  return scanContamination(sources, testItems, opts);
}
