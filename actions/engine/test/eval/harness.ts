import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { startLlmProxy } from '../../src/egress/llm-proxy.ts';
import { type EvaluationEnvironment, evaluationEnvironment } from '../../src/verify/environment.ts';
import { type VerifyOutcome, verify } from '../../src/verify/verifier.ts';
import { type JudgeStandIn, startJudgeStandIn, TEST_OPENAI_KEY } from './judge-stand-in.ts';

/**
 * Runs a v1 benchmark's real evaluator (Inspect, inspect_evals or our task, Inspect's vllm
 * provider) through our verifier in the bwrap verification sandbox, against the vLLM
 * stand-in serving the scripted model and, for judged benchmarks, the scripted judge behind
 * the real credential proxy. Used by `npm run test:eval` and the verification tests.
 */
export const HERE = import.meta.dirname;
export const FIXTURES = join(HERE, '..', 'fixtures', 'eval');
export const STAND_IN = join(HERE, 'vllm-stand-in');
export const SCRIPTED_MODEL = join(FIXTURES, 'models', 'scripted');
export const V1 = loadDefinition('v1');

export function v1Benchmark(id: string): Benchmark {
  const b = V1.benchmarks.find((x) => x.id === id);
  if (!b) throw new Error(`no benchmark ${id} in v1`);
  return b;
}

/** The evaluation environment, or an error that says how to install it. */
export function requireEvalEnv(): EvaluationEnvironment {
  const e = evaluationEnvironment();
  if (!existsSync(join(e.evalEnv, 'bin', 'inspect')))
    throw new Error(
      `the evaluation environment is not installed at ${e.evalEnv}: run actions/engine/images/evaluation/install.sh (needs python3 >= 3.11 and the package index)`,
    );
  for (const tool of ['bwrap', 'socat'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`${tool} is not installed (apt-get install ${tool})`);
  return e;
}

/** A data cache built from the fixtures in a fresh folder (Parquet files made from their .parquet.jsonl sources). */
export function buildFixtureData(e: EvaluationEnvironment, into: string, omit: string[] = []): string {
  const data = join(into, 'data');
  cpSync(join(FIXTURES, 'data'), data, { recursive: true });
  for (const rel of omit) rmSync(join(data, rel), { recursive: true, force: true });
  const script = [
    'import json, pathlib, sys, pyarrow as pa, pyarrow.parquet as pq',
    'for src in pathlib.Path(sys.argv[1]).rglob("*.parquet.jsonl"):',
    '    rows = [json.loads(l) for l in src.read_text().splitlines() if l.strip()]',
    '    pq.write_table(pa.Table.from_pylist(rows), str(src)[: -len(".jsonl")])',
    '    src.unlink()',
  ].join('\n');
  const r = spawnSync(join(e.evalEnv, 'bin', 'python'), ['-c', script, data], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the fixture data cache failed: ${r.stderr}`);
  return data;
}

export interface StackRun {
  outcome: VerifyOutcome;
  judge: { requests: number; refused: string[] } | null;
  proxyLog: string;
  evaluatorLog: string;
  /** The Inspect log of the last attempt (parsed), or null. */
  log: Record<string, unknown> | null;
}

export interface StackOptions {
  /** Data cache to use (default: built from the fixtures). */
  dataDir?: string;
  modelDir?: string;
  judgeMode?: 'script' | 'outage';
  limit?: number | null;
  shuffleSeed?: number | null;
  /** Extra variables for the verification sandbox. */
  env?: Record<string, string>;
  /** Replace the evaluation environment (e.g. a broken one). */
  evalEnv?: string;
  singleAttempt?: boolean;
}

export async function runStack(benchmarkId: string, opts: StackOptions = {}): Promise<StackRun> {
  const e = requireEvalEnv();
  const benchmark = v1Benchmark(benchmarkId);
  const work = mkdtempSync(join(tmpdir(), `ptb-eval-${benchmarkId}-`));
  const saved = { ...process.env };
  let judge: JudgeStandIn | null = null;
  let proxy: Awaited<ReturnType<typeof startLlmProxy>> | null = null;
  try {
    const dataDir = opts.dataDir ?? buildFixtureData(e, work);
    const judged = benchmark.eval.grader === 'llm-judge';
    if (judged) {
      judge = await startJudgeStandIn(opts.judgeMode ?? 'script');
      proxy = await startLlmProxy({
        socketPath: join(work, 'agent-llm.sock'),
        harnessSocketPath: join(work, 'harness-llm.sock'),
        logPath: join(work, 'llm-proxy.jsonl'),
        keys: { openai: TEST_OPENAI_KEY },
        upstreams: { openai: judge.url },
      });
    }
    // The stand-in's `vllm` on PATH and its `vllm` module importable, as a real vLLM would be.
    process.env.PTB_SANDBOX_TOOLCHAIN = STAND_IN;
    const env: Record<string, string> = {
      PYTHONPATH: `/evaluator:${STAND_IN}`,
      PTB_STANDIN_BENCHMARK: benchmarkId,
      PTB_JUDGE_RETRY_SECONDS: '0.2',
      ...opts.env,
    };
    for (const [k, v] of Object.entries(env)) process.env[`PTB_VERIFY_ENV_${k}`] = v;
    const logFile = join(work, 'evaluator.log');
    const outcome = await verify({
      runtime: { kind: 'bwrap', image: '', name: `ptb-eval-test-${benchmarkId}`, dockerNetwork: null },
      benchmark,
      family: 'qwen3',
      modelDir: opts.modelDir ?? SCRIPTED_MODEL,
      evaluatorDir: e.evaluatorsDir,
      evalEnv: opts.evalEnv ?? e.evalEnv,
      dataDir,
      workDir: join(work, 'verify'),
      limit: opts.limit ?? null,
      seed: 1,
      shuffleSeed: opts.shuffleSeed ?? null,
      gpus: [],
      timeoutMs: 600_000,
      logFile,
      redact: (s) => s.split(TEST_OPENAI_KEY).join('[redacted]'),
      ...(proxy ? { graderSocket: join(work, 'harness-llm.sock') } : {}),
      ...(opts.singleAttempt ? { singleAttempt: true } : {}),
    });
    const read = (p: string) => (existsSync(p) ? (spawnSync('cat', [p], { encoding: 'utf8' }).stdout ?? '') : '');
    return {
      outcome,
      judge: judge ? { requests: judge.requests, refused: [...judge.refused] } : null,
      proxyLog: read(join(work, 'llm-proxy.jsonl')),
      evaluatorLog: read(logFile),
      log: outcome.logPath && existsSync(outcome.logPath) ? (JSON.parse(read(outcome.logPath)) as Record<string, unknown>) : null,
    };
  } finally {
    await Promise.allSettled([judge?.stop(), proxy?.stop()]);
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Size of a folder in bytes (for reports). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    total += s.isDirectory() ? folderBytes(p) : s.size;
  }
  return total;
}

export { mkdirSync };
