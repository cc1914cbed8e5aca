import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentManifest } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PreflightError, runCell } from '../src/index.ts';
import { cleanupTempDirs, MANIFEST_YAML, submissionDir, tempDir, writeScript } from './helpers.ts';

afterAll(cleanupTempDirs);

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['PTB_EVAL_ENV', 'PTB_EVAL_DATA', 'PTB_DISK_LIMIT_GB'])
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
});

/** A v1 cell whose base model is in a cache (config only: preflight never loads it). */
async function v1Cell(marker: string) {
  const cache = tempDir('v1-cache');
  const model = join(cache, 'Qwen', 'Qwen3-1.7B-Base');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'config.json'), '{"model_type": "qwen3"}');
  process.env.PTB_DISK_LIMIT_GB = '1';
  const sub = submissionDir();
  return runCell({
    submissionDir: sub,
    manifest: AgentManifest.parse(parseYaml(MANIFEST_YAML)),
    definition: loadDefinition('v1'),
    baseModel: 'Qwen/Qwen3-1.7B-Base',
    benchmark: 'aime2025',
    seed: 1,
    runtime: 'bwrap',
    outDir: join(tempDir('v1-out'), 'cell'),
    budgetSeconds: 30,
    modelCacheDir: cache,
    agent: { kind: 'script', path: writeScript(`touch ${marker}`) },
  });
}

// Issue 12: before an agent spends any time, the benchmark's evaluator must resolve and its
// data must be present offline; otherwise the runner, not the agent, is at fault.
describe('the evaluator is checked before the agent starts', () => {
  test('no evaluation environment: preflight fails and says how to install it; nothing ran', async () => {
    process.env.PTB_EVAL_ENV = join(tempDir('no-env'), 'eval-env');
    const marker = join(tempDir('marker'), 'ran');
    const run = v1Cell(marker);
    await expect(run).rejects.toThrow(PreflightError);
    await expect(v1Cell(marker)).rejects.toThrow(
      /evaluator of aime2025: the evaluation environment .* is missing: run actions\/engine\/images\/evaluation\/install\.sh/,
    );
  });

  test('the data cache lacks the chat template and the pinned files of the benchmark: each is named', async () => {
    const data = tempDir('empty-data');
    process.env.PTB_EVAL_DATA = data;
    const marker = join(tempDir('marker'), 'ran');
    await expect(v1Cell(marker)).rejects.toThrow(
      /evaluator of aime2025: .*chat template templates\/qwen3\.jinja is not in the data cache/s,
    );
  });
});
