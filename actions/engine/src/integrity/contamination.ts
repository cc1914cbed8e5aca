import type { IntegrityFinding } from '@ptb/core';
import type { TextSource } from './text-sources.ts';

/** Tokens as the scan sees them: runs of ASCII letters and digits of the lower-cased text. */
export const tokens = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

export interface ContaminationOptions {
  n: number;
  /** Share of an item's n-grams found in one source that makes it a hit. */
  threshold: number;
  /** Hits tolerated as accidental before the finding becomes a violation. */
  tolerated: number;
}

export const CONTAMINATION_DEFAULTS: ContaminationOptions = { n: 8, threshold: 0.8, tolerated: 3 };

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * An n-gram of token hashes is keyed by two independent 26-bit lanes, 52 bits in all
 * (collisions negligible here). Lane A alone, through a bit filter, rules out nearly every
 * position of a source before the full key is looked up.
 */
function laneA(hashes: Uint32Array, start: number, n: number): number {
  let a = 7;
  for (let i = start; i < start + n; i++) a = (Math.imul(a, 31) + (hashes[i] as number)) >>> 0;
  return a & 0x3ffffff;
}

function laneB(hashes: Uint32Array, start: number, n: number): number {
  let b = 11;
  for (let i = start; i < start + n; i++) b = (Math.imul(b, 131) + ((hashes[i] as number) ^ 0x9e3779b9)) >>> 0;
  return b & 0x3ffffff;
}

const gramKey = (a: number, b: number): number => a * 0x4000000 + b;

/** Bits indexed by the low 24 bits of lane A (2 MiB). */
const FILTER_MASK = 0xffffff;
const inFilter = (filter: Uint32Array, a: number) => ((filter[(a & FILTER_MASK) >>> 5] as number) & (1 << (a & 31))) !== 0;

/**
 * The 32-bit hash (FNV-1a) of each token of `tokens(text)`, in one pass over the text without
 * lower-casing it or cutting it into strings (the scan reads hundreds of megabytes). Two
 * characters outside ASCII lower-case into ASCII letters (U+0130 to "i" and a combining dot,
 * U+212A KELVIN SIGN to "k"); they are mapped as toLowerCase maps them, so that no text
 * tokenises differently from `tokens` (a test compares the two over every UTF-16 unit).
 */
export function tokenHashes(text: string): Uint32Array {
  let out = new Uint32Array(Math.max(16, text.length >>> 3));
  let count = 0;
  let h = FNV_OFFSET;
  let inToken = false;
  const end = () => {
    if (count === out.length) {
      const grown = new Uint32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[count++] = h >>> 0;
    h = FNV_OFFSET;
    inToken = false;
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c === 0x212a)
      c = 107; // KELVIN SIGN -> k
    else if (c === 0x130) {
      // -> "i" then U+0307 (not a token character): the token ends after the i.
      h = Math.imul(h ^ 105, FNV_PRIME);
      end();
      continue;
    }
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      h = Math.imul(h ^ c, FNV_PRIME);
      inToken = true;
    } else if (inToken) end();
  }
  if (inToken) end();
  return out.subarray(0, count);
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
  const filter = new Uint32Array((FILTER_MASK + 1) / 32);
  for (const item of testItems) {
    const hashes = tokenHashes(item.text);
    if (hashes.length < 4) continue;
    const n = Math.min(opts.n, hashes.length);
    const grams = hashes.length - n + 1;
    const at = items.push({ id: item.id, n, grams }) - 1;
    const byN = index.get(n) ?? new Map<number, [number, number][]>();
    index.set(n, byN);
    for (let g = 0; g < grams; g++) {
      const a = laneA(hashes, g, n);
      filter[(a & FILTER_MASK) >>> 5] = (filter[(a & FILTER_MASK) >>> 5] as number) | (1 << (a & 31));
      const key = gramKey(a, laneB(hashes, g, n));
      const list = byN.get(key) ?? [];
      list.push([at, g]);
      byN.set(key, list);
    }
  }
  // Nothing long enough to look for (e.g. items of two or three tokens): the sources are not read.
  if (items.length === 0) return [];
  const found = new Map<number, string>();
  for await (const source of sources) {
    const hashes = tokenHashes(source.text);
    const seen = new Map<number, Set<number>>();
    for (const [n, byN] of index) {
      for (let i = 0; i + n <= hashes.length; i++) {
        const a = laneA(hashes, i, n);
        if (!inFilter(filter, a)) continue;
        const refs = byN.get(gramKey(a, laneB(hashes, i, n)));
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
