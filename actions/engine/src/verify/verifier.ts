import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from '@ptb/core';
import type { CappedLog } from '../capped-log.ts';
import { PLACEHOLDER_KEY } from '../egress/llm-proxy.ts';
import type { Cgroup } from '../sandbox/cgroup.ts';
import { giveTo } from '../sandbox/identity.ts';
import { type RuntimeContext, sandboxArgv } from '../sandbox/runtime.ts';
import { INSIDE, LLM_PORT, type Mount, type SandboxSpec, toolchain } from '../sandbox/spec.ts';
import { supervise } from '../sandbox/supervise.ts';
import { evaluationArgv, evaluationOf } from './evaluation.ts';
import { type InspectSummary, newestLog, readInspectLog } from './inspect-log.ts';

export interface VerifyInput {
  runtime: RuntimeContext;
  benchmark: Benchmark;
  /** A snapshot of final_model/ taken by the harness; mounted read-only. */
  modelDir: string;
  /** Pristine evaluator files from the harness (null when the image carries the evaluator). */
  evaluatorDir: string | null;
  workDir: string;
  limit: number | null;
  seed: number;
  gpus: string[];
  timeoutMs: number;
  /** Where the evaluator's output goes: a file, or the cell's capped log. */
  logFile: string | CappedLog;
  redact: (s: string) => string;
  /** The cgroup the evaluation runs in (limits, and every process killed at the end). */
  cgroup?: Cgroup | null;
  signal?: AbortSignal;
  /** The credential proxy's harness socket, for benchmarks graded by an LLM judge. */
  graderSocket?: string;
}

/**
 * The verification sandbox: the model and the evaluator read-only, only the log folder
 * writable, no network; an LLM-judge grader alone gets a bridge to the credential proxy's
 * harness socket (placeholder key, as for agents).
 */
export function verificationSpec(input: VerifyInput, logs: string, tmp: string): SandboxSpec {
  const mounts: Mount[] = [
    { host: input.modelDir, target: INSIDE.model, mode: 'ro' },
    { host: logs, target: INSIDE.logs, mode: 'rw' },
  ];
  if (input.evaluatorDir) mounts.push({ host: input.evaluatorDir, target: INSIDE.evaluator, mode: 'ro' });
  const tools = toolchain();
  mounts.push(...tools.mounts);
  const grader = input.benchmark.eval.grader === 'llm-judge' && input.graderSocket ? input.graderSocket : null;
  const llm = `http://127.0.0.1:${LLM_PORT}`;
  return {
    argv: evaluationArgv(input.benchmark, { limit: input.limit, seed: input.seed }),
    cwd: '/tmp',
    env: {
      PATH: tools.path,
      HOME: '/tmp',
      USER: 'agent',
      LOGNAME: 'agent',
      LANG: 'C.UTF-8',
      PYTHONDONTWRITEBYTECODE: '1',
      HF_HUB_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
      INSPECT_LOG_DIR: INSIDE.logs,
      ...(grader
        ? {
            OPENAI_BASE_URL: `${llm}/openai/v1`,
            OPENAI_API_KEY: PLACEHOLDER_KEY,
            ANTHROPIC_BASE_URL: `${llm}/anthropic`,
            ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
          }
        : {}),
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

export type VerifyOutcome =
  | { ok: true; summary: InspectSummary; logPath: string; seconds: number }
  | { ok: false; reason: string; logPath: string | null; seconds: number };

/**
 * Scores a model in a second, clean sandbox: no network, the model read-only, the
 * evaluator from the harness read-only, only a fresh log directory writable.
 */
export async function verify(input: VerifyInput): Promise<VerifyOutcome> {
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
  const spec = verificationSpec(input, logs, tmp);
  const logFile = input.logFile;
  const write = (line: string) => (typeof logFile === 'string' ? appendFileSync(logFile, line) : logFile.append(line));
  write(`# verification ${evaluationOf(input.benchmark).runner} seed=${input.seed} limit=${input.limit ?? 'all'}\n`);
  const run = await supervise({
    argv: sandboxArgv(spec, input.runtime),
    timeLimitMs: input.timeoutMs,
    graceMs: 5000,
    maxOutputBytes: 2_000_000,
    cgroup: input.cgroup ?? null,
    onLine: (stream, line) => write(`${stream}: ${input.redact(line)}\n`),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const seconds = (run.endedAtMs - run.startedAtMs) / 1000;
  const logPath = newestLog(logs);
  if (run.timedOut) return { ok: false, reason: `evaluation exceeded ${Math.round(input.timeoutMs / 1000)} s`, logPath, seconds };
  if (!logPath || !existsSync(logPath))
    return { ok: false, reason: `the evaluator wrote no Inspect log (exit code ${run.exitCode})`, logPath: null, seconds };
  let summary: InspectSummary;
  try {
    summary = readInspectLog(logPath);
  } catch (e) {
    return { ok: false, reason: `unreadable Inspect log: ${e instanceof Error ? e.message : String(e)}`, logPath, seconds };
  }
  if (summary.status !== 'success' || summary.value === null)
    return { ok: false, reason: summary.error ?? `evaluation ended with status ${summary.status}`, logPath, seconds };
  return { ok: true, summary, logPath, seconds };
}
