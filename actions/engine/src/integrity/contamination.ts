import type { IntegrityFinding } from '@ptb/core';

export const tokens = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

export interface ContaminationOptions {
  n: number;
  /** Share of an item's n-grams found in training text that makes it a hit. */
  threshold: number;
  /** Hits tolerated as accidental before the finding becomes a violation. */
  tolerated: number;
}

export const CONTAMINATION_DEFAULTS: ContaminationOptions = { n: 8, threshold: 0.8, tolerated: 3 };

function grams(toks: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= toks.length; i++) out.push(toks.slice(i, i + n).join(' '));
  return out;
}

/**
 * N-gram overlap between training files the agent left in the workspace and the test set.
 * An item counts as found when most of its n-grams (n shrunk to the item's length for short
 * items) occur in one training file; a few hits are tolerated as accidental.
 */
export function contaminationFindings(
  trainingFiles: readonly { path: string; text: string }[],
  testItems: readonly { id: string; text: string }[],
  opts: ContaminationOptions = CONTAMINATION_DEFAULTS,
): IntegrityFinding[] {
  const hits: string[] = [];
  const fileGrams = new Map<number, { path: string; set: Set<string> }[]>();
  const setsFor = (n: number) => {
    let sets = fileGrams.get(n);
    if (!sets) {
      sets = trainingFiles.map((f) => ({ path: f.path, set: new Set(grams(tokens(f.text), n)) }));
      fileGrams.set(n, sets);
    }
    return sets;
  };
  for (const item of testItems) {
    const toks = tokens(item.text);
    if (toks.length < 4) continue;
    const n = Math.min(opts.n, toks.length);
    const itemGrams = grams(toks, n);
    for (const f of setsFor(n)) {
      const found = itemGrams.filter((g) => f.set.has(g)).length;
      if (found / itemGrams.length >= opts.threshold) {
        hits.push(`${item.id} found in ${f.path} (${found}/${itemGrams.length} ${n}-grams)`);
        break;
      }
    }
  }
  if (hits.length === 0) return [];
  const violation = hits.length > opts.tolerated;
  return [
    {
      check: 'contamination',
      severity: violation ? 'violation' : 'warning',
      summary: `${hits.length} test item(s) appear in training files left in the workspace${violation ? '' : ` (up to ${opts.tolerated} tolerated as accidental)`}`,
      evidence: hits.slice(0, 50),
    },
  ];
}
