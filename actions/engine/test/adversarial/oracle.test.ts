import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupTempDirs } from '../helpers.ts';
import { attack, T } from './support.ts';

afterAll(cleanupTempDirs);

// Threat model: "Probe the test set through evaluate --limit".
describe('the evaluation service is no oracle', () => {
  test(
    'each --limit 1 call scores a fresh random item (the draw is recorded) and answers the headline and its stderr only',
    async () => {
      // A model that knows exactly one test item: with fixed draws, limit 1 would say "item 1 is right" every time.
      const { traceText, outDir } = await attack(`cp /models/base/config.json /models/base/tokenizer.json final_model/
printf '{"program": "first"}' > final_model/model.json
for i in 1 2 3 4 5 6; do python3 evaluate.py --limit 1 | tr -d '\\n ' | sed 's/^/REPLY /'; echo; done`);
      const replies = traceText
        .filter((l) => l.startsWith('REPLY '))
        .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
      expect(replies).toHaveLength(6);
      for (const r of replies) {
        expect(Object.keys(r).sort()).toEqual(['ok', 'samples', 'score', 'seconds', 'stderr']);
        expect(r.samples).toBe(1);
      }
      const calls = readFileSync(join(outDir, 'logs', 'evaluate-calls.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { drawSeed?: number });
      const seeds = calls.map((c) => c.drawSeed);
      expect(seeds.every((s) => Number.isInteger(s))).toBe(true);
      expect(new Set(seeds).size).toBe(6);
      // The evaluator's logs show different items were drawn.
      const log = readFileSync(join(outDir, 'logs', 'evaluator.log'), 'utf8');
      expect((log.match(/# verification command seed=\d+ limit=1/g) ?? []).length).toBe(6);
    },
    T,
  );
});
