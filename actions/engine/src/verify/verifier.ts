import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Benchmark } from '@ptb/core';
import type { CappedLog } from '../capped-log.ts';
import { PLACEHOLDER_KEY } from '../egress/llm-proxy.ts';
import type { Cgroup } from '../sandbox/cgroup.ts';
import { giveTo } from '../sandbox/identity.ts';
import { type RuntimeContext, sandboxArgv } from '../sandbox/runtime.ts';
import { INSIDE, LLM_PORT, type Mount, type SandboxSpec, toolchain } from '../sandbox/spec.ts';
import { supervise } from '../sandbox/supervise.ts';
import { evaluationArgv, evaluationOf, retryLadder } from './evaluation.ts';
import { classifyFailure, type ErrorSource } from './failure.ts';
import { type InspectSummary, newestLog, readInspectLog } from './inspect-log.ts';
import { type SamplingRecord, samplingOf } from './sampling.ts';

export interface VerifyInput {
  runtime: RuntimeContext;
  benchmark: Benchmark;
  /** Family of the base model: picks the fixed chat template. */
  family?: string;
  /** A snapshot of final_model/ taken by the harness; mounted read-only. */
  modelDir: string;
  /** Pristine evaluator files from the harness (a bundle's evaluator/, or the ptb_evals tasks), or null. */
  evaluatorDir: string | null;
  /** The evaluation environment (a virtual environment with Inspect), bound read-only at the same path; null: the image has it. */
  evalEnv?: string | null;
  /** Further package folders (host paths) bound read-only and put on the evaluator's PYTHONPATH. */
  pythonPath?: string[];
  /** The evaluation data cache (datasets, chat templates, judge prompts), mounted read-only at /data. */
  dataDir?: string | null;
  workDir: string;
  limit: number | null;
  seed: number;
  /** Draw the `limit` items at random with this seed (agent-facing calls); null: the first ones. */
  shuffleSeed?: number | null;
  gpus: string[];
  /** Wall-clock limit of one attempt. */
  timeoutMs: number;
  /** Where the evaluator's output goes: a file, or the cell's capped log. */
  logFile: string | CappedLog;
  redact: (s: string) => string;
  /** The cgroup the evaluation runs in (limits, and every process killed at the end). */
  cgroup?: Cgroup | null;
  signal?: AbortSignal;
  /** The credential proxy's harness socket, for benchmarks graded by an LLM judge. */
  graderSocket?: string;
  /** Only the first rung of the retry ladder, once (agent-facing calls): default false. */
  singleAttempt?: boolean;
}

/**
 * The verification sandbox: the model, the evaluator, the evaluation environment and the
 * data cache read-only, only the log folder writable, no network; an LLM-judge grader alone
 * gets a bridge to the credential proxy's harness socket (placeholder key, as for agents).
 */
export function verificationSpec(
  input: VerifyInput,
  logs: string,
  tmp: string,
  maxTokens?: number,
  hostsFile?: string,
): SandboxSpec {
  const mounts: Mount[] = [
    { host: input.modelDir, target: INSIDE.model, mode: 'ro' },
    { host: logs, target: INSIDE.logs, mode: 'rw' },
  ];
  // Inspect reaches the model server it starts as http://localhost:<port>: the name must resolve.
  if (hostsFile) mounts.push({ host: hostsFile, target: '/etc/hosts', mode: 'ro' });
  if (input.evaluatorDir) mounts.push({ host: input.evaluatorDir, target: INSIDE.evaluator, mode: 'ro' });
  if (input.dataDir) mounts.push({ host: input.dataDir, target: INSIDE.data, mode: 'ro' });
  const tools = toolchain();
  mounts.push(...tools.mounts);
  if (input.evalEnv) mounts.push(...evalEnvMounts(input.evalEnv));
  for (const dir of input.pythonPath ?? []) mounts.push({ host: dir, target: dir, mode: 'ro' });
  const spec = evaluationOf(input.benchmark);
  const grader = input.benchmark.eval.grader === 'llm-judge' && input.graderSocket ? input.graderSocket : null;
  const llm = `http://127.0.0.1:${LLM_PORT}`;
  const inspect = spec.runner === 'inspect';
  return {
    argv: evaluationArgv(input.benchmark, {
      limit: input.limit,
      seed: input.seed,
      shuffleSeed: input.shuffleSeed ?? null,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(input.family ? { family: input.family } : {}),
    }),
    // Hugging Face datasets of the cache keep their repository layout: from /data,
    // load_dataset("org/name") reads the local copy.
    cwd: inspect && input.dataDir ? INSIDE.data : '/tmp',
    env: {
      PATH: input.evalEnv ? `${input.evalEnv}/bin:${tools.path}` : tools.path,
      HOME: '/tmp',
      USER: 'agent',
      LOGNAME: 'agent',
      LANG: 'C.UTF-8',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
      HF_DATASETS_CACHE: '/tmp/hf-datasets',
      XDG_CACHE_HOME: '/tmp/cache',
      INSPECT_EVALS_CACHE_DIR: '/tmp/inspect-evals',
      INSPECT_LOG_DIR: INSIDE.logs,
      ...(inspect ? { PYTHONPATH: [INSIDE.evaluator, ...(input.pythonPath ?? [])].join(':'), PTB_EVAL_DATA: INSIDE.data } : {}),
      ...(grader
        ? {
            OPENAI_BASE_URL: `${llm}/openai/v1`,
            OPENAI_API_KEY: PLACEHOLDER_KEY,
            ANTHROPIC_BASE_URL: `${llm}/anthropic`,
            ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
            ...(spec.judge ? { PTB_JUDGE_MODEL: spec.judge.model } : {}),
          }
        : {}),
      ...extraEnv(),
    },
    mounts,
    sockets: grader ? [{ host: grader, target: `${INSIDE.run}/llm.sock`, mode: 'rw' }] : [],
    bridges: grader ? [{ port: LLM_PORT, socket: `${INSIDE.run}/llm.sock` }] : [],
    gpus: input.gpus,
    limits: {},
    tmpHost: tmp,
    hostname: 'ptb-verify',
  };
}

/**
 * The evaluation environment read-only at its own path (a venv's scripts name it), and the
 * Python installation it was made from when that lives outside /usr (e.g. pyenv, /opt).
 */
export function evalEnvMounts(evalEnv: string): Mount[] {
  const mounts: Mount[] = [{ host: evalEnv, target: evalEnv, mode: 'ro' }];
  try {
    const home = /^home\s*=\s*(.+)$/m.exec(readFileSync(join(evalEnv, 'pyvenv.cfg'), 'utf8'))?.[1]?.trim();
    const prefix = home ? dirname(home) : null;
    if (prefix && prefix !== '/usr' && !prefix.startsWith('/usr/') && prefix !== '/')
      mounts.push({ host: prefix, target: prefix, mode: 'ro' });
  } catch {
    // Not a venv (e.g. a prefix installed with --target): nothing else to bind.
  }
  return mounts;
}

/** PTB_VERIFY_ENV_* variables of the harness, passed into the verification sandbox without the prefix (tests, retry tuning). */
function extraEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('PTB_VERIFY_ENV_') && v !== undefined) out[k.slice('PTB_VERIFY_ENV_'.length)] = v;
  return out;
}

export interface AttemptRecord {
  maxTokens: number;
  ok: boolean;
  seconds: number;
  reason?: string;
}

export type VerifyOutcome =
  | {
      ok: true;
      summary: InspectSummary;
      logPath: string;
      seconds: number;
      attempts: AttemptRecord[];
      maxTokens: number;
      sampling: SamplingRecord;
    }
  | {
      ok: false;
      /** model: the cell is `broken`; harness: the cell is `error` with errorSource. */
      fault: 'model' | 'harness';
      source?: ErrorSource;
      reason: string;
      logPath: string | null;
      seconds: number;
      attempts: AttemptRecord[];
    };

type Attempt =
  | { ok: true; summary: InspectSummary; logPath: string; seconds: number }
  | { ok: false; fault: 'model' | 'harness'; source?: ErrorSource; reason: string; logPath: string | null; seconds: number };

async function attempt(input: VerifyInput, maxTokens: number): Promise<Attempt> {
  mkdirSync(input.workDir, { recursive: true });
  const dir = mkdtempSync(join(input.workDir, 'verify-'));
  chmodSync(dir, 0o711);
  const logs = join(dir, 'logs');
  const tmp = join(dir, 'tmp');
  mkdirSync(logs);
  mkdirSync(tmp);
  // The evaluation runs as the sandbox user: only its log folder and scratch /tmp are its own.
  giveTo(input.runtime.user ?? null, logs);
  giveTo(input.runtime.user ?? null, tmp);
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, '127.0.0.1 localhost\n::1 localhost ip6-localhost\n');
  let spec: SandboxSpec;
  try {
    spec = verificationSpec(input, logs, tmp, maxTokens, hosts);
  } catch (e) {
    // e.g. no chat template for the model's family: the definition's gap, not the model's.
    return {
      ok: false,
      fault: 'harness',
      source: 'evaluator',
      reason: e instanceof Error ? e.message : String(e),
      logPath: null,
      seconds: 0,
    };
  }
  const header = `# verification ${evaluationOf(input.benchmark).runner} seed=${input.seed} limit=${input.limit ?? 'all'} max-tokens=${maxTokens}\n`;
  const logFile = input.logFile;
  const write = (line: string) => (typeof logFile === 'string' ? appendFileSync(logFile, line) : logFile.append(line));
  write(header);
  const tail: string[] = [];
  const run = await supervise({
    argv: sandboxArgv(spec, input.runtime),
    timeLimitMs: input.timeoutMs,
    graceMs: 5000,
    maxOutputBytes: 2_000_000,
    cgroup: input.cgroup ?? null,
    onLine: (stream, line) => {
      const clean = input.redact(line);
      tail.push(clean);
      if (tail.length > 200) tail.shift();
      write(`${stream}: ${clean}\n`);
    },
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const seconds = (run.endedAtMs - run.startedAtMs) / 1000;
  const logPath = newestLog(logs);
  let summary: InspectSummary | null = null;
  let unreadable: string | null = null;
  if (logPath && existsSync(logPath)) {
    try {
      summary = readInspectLog(logPath, evaluationOf(input.benchmark).metric);
    } catch (e) {
      unreadable = e instanceof Error ? e.message : String(e);
    }
  }
  if (summary && summary.status === 'success' && summary.value !== null && !run.timedOut)
    return { ok: true, summary, logPath: logPath as string, seconds };
  if (unreadable)
    return {
      ok: false,
      fault: 'harness',
      source: 'evaluator',
      reason: `unreadable Inspect log: ${unreadable}`,
      logPath,
      seconds,
    };
  const fault = classifyFailure({
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    log: summary ? { status: summary.status, error: summary.error } : null,
    outputTail: tail.join('\n'),
  });
  return fault.fault === 'model'
    ? { ok: false, fault: 'model', reason: fault.reason, logPath, seconds }
    : { ok: false, fault: 'harness', source: fault.source, reason: fault.reason, logPath, seconds };
}

/**
 * Scores a model in a second, clean sandbox, down the definition's retry ladder: attempts at
 * the default max tokens, then at the reduced values; the first attempt that writes metrics
 * wins. A model fault moves down the ladder; a harness fault stops it (shrinking the
 * answers cannot bring a judge or a dataset back) and the cell ends as `error`.
 */
export async function verify(input: VerifyInput): Promise<VerifyOutcome> {
  const ladder = input.singleAttempt ? retryLadder(input.benchmark).slice(0, 1) : retryLadder(input.benchmark);
  const attempts: AttemptRecord[] = [];
  let seconds = 0;
  let last: Attempt | null = null;
  for (const maxTokens of ladder) {
    if (input.signal?.aborted) break;
    const a = await attempt(input, maxTokens);
    seconds += a.seconds;
    attempts.push({ maxTokens, ok: a.ok, seconds: a.seconds, ...(a.ok ? {} : { reason: a.reason }) });
    last = a;
    if (a.ok)
      return {
        ok: true,
        summary: a.summary,
        logPath: a.logPath,
        seconds,
        attempts,
        maxTokens,
        sampling: samplingOf(input.benchmark, input.modelDir),
      };
    if (a.fault === 'harness') break;
  }
  if (!last)
    return {
      ok: false,
      fault: 'harness',
      source: 'harness',
      reason: 'the evaluation was cancelled',
      logPath: null,
      seconds,
      attempts,
    };
  if (last.ok) throw new Error('unreachable');
  const tried = attempts.length > 1 ? ` (after ${attempts.length} attempts down the retry ladder)` : '';
  return {
    ok: false,
    fault: last.fault,
    ...(last.source ? { source: last.source } : {}),
    reason: `${last.reason}${last.fault === 'model' ? tried : ''}`,
    logPath: last.logPath,
    seconds,
    attempts,
  };
}

/** The sampling parameters Inspect recorded in a log (what the harness asked for), for tests and reports. */
export function requestedGenerateConfig(logPath: string): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(logPath, 'utf8')) as { eval?: { model_generate_config?: Record<string, unknown> } };
  return Object.fromEntries(Object.entries(raw.eval?.model_generate_config ?? {}).filter(([, v]) => v !== null));
}
