import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from '@ptb/core';
import { afterAll, describe, expect, test } from 'vitest';
import { BUNDLES_DIR } from '../src/paths.ts';
import { verify } from '../src/verify/verifier.ts';
import { buildFixtureData, requireEvalEnv, runStack, SCRIPTED_MODEL } from './eval/harness.ts';
import { CI_DEFINITION } from './helpers.ts';

/**
 * Whose fault a failed verification is, proven with the real stack (Inspect, the real
 * evaluators, the vLLM stand-in, the credential proxy): the model's faults end `broken`,
 * the harness's `error` with the source. Needs the evaluation environment
 * (actions/engine/images/evaluation/install.sh), bubblewrap and socat.
 */
const temps: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ptb-faults-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function scriptedModel(edit: (script: { rules: Record<string, unknown>[]; load?: string }) => void): string {
  const dir = join(temp(), 'model');
  cpSync(SCRIPTED_MODEL, dir, { recursive: true });
  const file = join(dir, 'ptb-script.json');
  const script = JSON.parse(readFileSync(file, 'utf8'));
  edit(script);
  writeFileSync(file, JSON.stringify(script));
  return dir;
}

const LONG = 600_000;

describe('verification faults with the real evaluation stack', () => {
  test('a model vLLM cannot load is broken', { timeout: LONG }, async () => {
    const run = await runStack('aime2025', { modelDir: scriptedModel((s) => (s.load = 'fail')), singleAttempt: true });
    expect(run.outcome.ok).toBe(false);
    if (run.outcome.ok) return;
    expect(run.outcome.fault).toBe('model');
    expect(run.outcome.reason).toMatch(/did not load/);
  });

  test('a model fault goes down the whole retry ladder, shrinking max tokens; a success stops it', {
    timeout: LONG,
  }, async () => {
    // The cheap ci-add evaluator with a ladder of 2 + 1 attempts.
    const ciAdd = CI_DEFINITION.benchmarks[0] as Benchmark;
    const laddered: Benchmark = {
      ...ciAdd,
      evaluation: {
        ...(ciAdd.evaluation as NonNullable<Benchmark['evaluation']>),
        retries: [
          { maxTokens: 16, attempts: 2 },
          { maxTokens: 8, attempts: 1 },
        ],
      },
    };
    const work = temp();
    const base = {
      runtime: { kind: 'bwrap' as const, image: '', name: 'ptb-ladder', dockerNetwork: null },
      benchmark: laddered,
      evaluatorDir: join(BUNDLES_DIR, 'ci-add', 'evaluator'),
      workDir: join(work, 'verify'),
      limit: null,
      seed: 1,
      gpus: [],
      timeoutMs: 60_000,
      logFile: join(work, 'evaluator.log'),
      redact: (s: string) => s,
    };
    const broken = join(work, 'broken');
    cpSync(join(import.meta.dirname, 'fixtures', 'model-cache', 'ptb-ci', 'adder-base'), broken, { recursive: true });
    writeFileSync(join(broken, 'config.json'), '{"model_type": "not-an-adder"}');
    const failed = await verify({ ...base, modelDir: broken });
    expect(failed).toMatchObject({ ok: false, fault: 'model' });
    expect(failed.attempts.map((a) => a.maxTokens)).toEqual([16, 16, 8]);
    const good = await verify({
      ...base,
      modelDir: join(import.meta.dirname, 'fixtures', 'model-cache', 'ptb-ci', 'adder-instruct'),
    });
    expect(good.ok).toBe(true);
    expect(good.attempts).toHaveLength(1);
  });

  test("a judge API outage is the harness's error (judge), never the model's", { timeout: LONG }, async () => {
    const run = await runStack('arenahardwriting', { judgeMode: 'outage', limit: 1, singleAttempt: true });
    expect(run.outcome.ok).toBe(false);
    if (run.outcome.ok) return;
    expect(run.outcome).toMatchObject({ fault: 'harness', source: 'judge' });
    expect(run.outcome.attempts).toHaveLength(1);
    // The judge was reached through the credential proxy, which logged the refusals.
    expect(run.judge?.requests).toBeGreaterThanOrEqual(3);
    expect(run.proxyLog).toContain('"status":503');
  });

  test("a dataset missing from the data cache is the harness's error (evaluator)", { timeout: LONG }, async () => {
    const e = requireEvalEnv();
    const data = buildFixtureData(e, temp(), ['ptb/healthbench/healthbench.jsonl']);
    const run = await runStack('healthbench', { dataDir: data, singleAttempt: true });
    expect(run.outcome).toMatchObject({ ok: false, fault: 'harness', source: 'evaluator' });
    if (!run.outcome.ok) expect(run.outcome.reason).toMatch(/healthbench\.jsonl is not in the evaluation data cache/);
  });

  test("vLLM crashing in the middle of the evaluation is the harness's error", { timeout: LONG }, async () => {
    const model = scriptedModel((s) => s.rules.unshift({ when: '(fixture C)', crash: true }));
    const run = await runStack('aime2025', { modelDir: model, singleAttempt: true });
    expect(run.outcome).toMatchObject({ ok: false, fault: 'harness', source: 'evaluator' });
  });

  test("an evaluator that cannot start is the harness's error", { timeout: LONG }, async () => {
    const run = await runStack('gsm8k', { evalEnv: temp(), singleAttempt: true });
    expect(run.outcome).toMatchObject({ ok: false, fault: 'harness', source: 'evaluator' });
  });

  test('--limit k with a shuffle seed scores k items drawn at random, not the first k', { timeout: LONG }, async () => {
    const run = await runStack('aime2025', { limit: 2, shuffleSeed: 3, singleAttempt: true });
    expect(run.outcome.ok).toBe(true);
    if (!run.outcome.ok) return;
    expect(run.outcome.summary.samples).toBe(2);
    const log = run.log as unknown as { eval: { dataset: { sample_ids: string[] }; config: { sample_shuffle: number } } };
    expect(log.eval.config.sample_shuffle).toBe(3);
    expect(log.eval.dataset.sample_ids).not.toEqual(['fx-1', 'fx-2']);
  });
});
