import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentManifest } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PreflightError, runCell } from '../src/index.ts';
import { type EvaluationEnvironment, evaluationEnvironment, evaluatorPreflight } from '../src/verify/environment.ts';
import { type PreflightPasses, preflightPasses } from '../src/verify/preflight-passes.ts';
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

// A pass of the evaluator preflight is remembered per runner and reused while nothing it read
// has changed: the check is Python's start-up plus a few file reads, before every cell.
describe('a pass of the evaluator preflight is reused only while nothing it rested on changed', () => {
  const SMOKE = loadDefinition('v1-gpu-smoke');
  const gpuArith = SMOKE.benchmarks.find((b) => b.id === 'gpu-arith');
  if (!gpuArith) throw new Error('v1-gpu-smoke has no gpu-arith');

  /** Our own evaluators (a copy this test may change) and a data cache, with the real evaluation environment. */
  function setUp() {
    const root = tempDir('preflight-passes');
    cpSync(evaluationEnvironment().evaluatorsDir, join(root, 'evaluators'), { recursive: true });
    mkdirSync(join(root, 'data'));
    const env = evaluationEnvironment({
      ...process.env,
      PTB_EVALUATORS_DIR: join(root, 'evaluators'),
      PTB_EVAL_DATA: join(root, 'data'),
    });
    return {
      env,
      record: join(root, 'cache', 'evaluator-preflight.json'),
      task: join(root, 'evaluators', 'ptb_evals', 'gpu_arith', 'gpu_arith.py'),
    };
  }
  const check = (env: EvaluationEnvironment, passes: PreflightPasses) =>
    evaluatorPreflight(gpuArith as NonNullable<typeof gpuArith>, 'qwen3', env, passes);

  test('the first check runs Python and is remembered (a file only this user can read); the next one is answered from it', async () => {
    const { env, record } = setUp();
    const passes = preflightPasses(record, { racyMs: 0 });
    expect(await check(env, passes)).toEqual({ problems: [], reused: false });
    expect(statSync(record).mode & 0o777).toBe(0o600);
    expect(await check(env, passes)).toEqual({ problems: [], reused: true });
    // Another check (another data cache) is not answered by this one's pass.
    const other = { ...env, dataDir: tempDir('other-data') };
    expect(await check(other, passes)).toEqual({ problems: [], reused: false });
  });

  test('the task file rewritten with other bytes of the same size and its times set back: checked again', async () => {
    const { env, record, task } = setUp();
    const passes = preflightPasses(record, { racyMs: 0 });
    await check(env, passes);
    const before = statSync(task, { bigint: true });
    const times = join(tempDir('times'), 'reference');
    writeFileSync(times, '');
    execFileSync('touch', ['-r', task, times]);
    // Letters of its docstring changed: the task still works, but it is not the file that was checked.
    const text = readFileSync(task, 'utf8');
    writeFileSync(task, text.replace('GPU', 'gpu'));
    // Set back to the nanosecond: identity, size and modification time say nothing changed.
    execFileSync('touch', ['-r', times, task]);
    const after = statSync(task, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    expect(readFileSync(task, 'utf8')).not.toBe(text);
    expect(await check(env, passes)).toEqual({ problems: [], reused: false });
    expect(await check(env, passes)).toEqual({ problems: [], reused: true });
  });

  test("a job's fresh checkout of the same evaluators (new inodes and times, same content) is answered from the pass", async () => {
    const { env, record } = setUp();
    const passes = preflightPasses(record, { racyMs: 0 });
    expect(await check(env, passes)).toEqual({ problems: [], reused: false });
    const copy = join(tempDir('checkout'), 'evaluators');
    cpSync(env.evaluatorsDir, copy, { recursive: true });
    rmSync(env.evaluatorsDir, { recursive: true });
    cpSync(copy, env.evaluatorsDir, { recursive: true });
    expect(await check(env, passes)).toEqual({ problems: [], reused: true });
    // A file added beside the task: the folder it rested on is not the same.
    writeFileSync(join(env.evaluatorsDir, 'ptb_evals', 'gpu_arith', 'gpu_arith_extra.py'), '');
    expect(await check(env, passes)).toEqual({ problems: [], reused: false });
  });

  test('the task file deleted after a pass: checked again and reported; a problem is never remembered', async () => {
    const { env, record, task } = setUp();
    const passes = preflightPasses(record, { racyMs: 0 });
    expect((await check(env, passes)).problems).toEqual([]);
    rmSync(task);
    for (let i = 0; i < 2; i++) {
      const found = await check(env, passes);
      expect(found.reused).toBe(false);
      expect(found.problems.join('\n')).toMatch(/the task file .*gpu_arith\.py is missing/);
    }
  });

  test('a record that others may write, or that another user owns, is not believed', async () => {
    const { env, record } = setUp();
    const passes = preflightPasses(record, { racyMs: 0 });
    await check(env, passes);
    chmodSync(record, 0o666);
    expect((await check(env, passes)).reused).toBe(false);
    chmodSync(record, 0o600);
    expect((await check(env, passes)).reused).toBe(true);
    if (process.getuid?.() === 0) {
      chownSync(record, 64000, 64000);
      expect((await check(env, passes)).reused).toBe(false);
    }
  });

  test('a pass whose inputs changed just before the check is not remembered (a change during the check would look seen)', async () => {
    const { env, record } = setUp();
    // Every input of this fresh copy changed within the last minute.
    const passes = preflightPasses(record, { racyMs: 60_000 });
    expect(await check(env, passes)).toEqual({ problems: [], reused: false });
    expect(await check(env, passes)).toEqual({ problems: [], reused: false });
  });
});
