import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One cell as a Slurm batch job: one GPU, the time limit, the command inside. */
export interface SlurmJob {
  name: string;
  /** The command the job runs (e.g. `ptb run ...`), as argv. */
  command: string[];
  workdir: string;
  /** Slurm's own wall limit: the budget plus the harness's grace and verification. */
  timeLimitMinutes: number;
  gpus: number;
  cpus: number;
  memoryGB: number;
  partition?: string;
  account?: string;
  /** Where Slurm writes the job's stdout and stderr. */
  logFile: string;
  env?: Record<string, string>;
}

const shellQuote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The batch script, built as data so that it can be read and tested without Slurm. */
export function batchScript(job: SlurmJob): string {
  const h = Math.floor(job.timeLimitMinutes / 60);
  const m = Math.ceil(job.timeLimitMinutes % 60);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${shellQuote(job.name)}`,
    `#SBATCH --chdir=${shellQuote(job.workdir)}`,
    `#SBATCH --output=${shellQuote(job.logFile)}`,
    `#SBATCH --time=${h}:${String(m).padStart(2, '0')}:00`,
    '#SBATCH --nodes=1',
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${job.cpus}`,
    `#SBATCH --mem=${job.memoryGB}G`,
    ...(job.gpus > 0 ? [`#SBATCH --gres=gpu:${job.gpus}`] : []),
    ...(job.partition ? [`#SBATCH --partition=${shellQuote(job.partition)}`] : []),
    ...(job.account ? [`#SBATCH --account=${shellQuote(job.account)}`] : []),
    // Slurm sends SIGTERM at the limit; the harness then kills its sandbox and still writes a result.
    '#SBATCH --signal=B:TERM@120',
    'set -euo pipefail',
    ...Object.entries(job.env ?? {}).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `exec ${job.command.map(shellQuote).join(' ')}`,
    '',
  ];
  return lines.join('\n');
}

export type SlurmState =
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'NODE_FAIL'
  | 'OUT_OF_MEMORY'
  | string;

export interface SlurmJobStatus {
  id: string;
  state: SlurmState;
  exitCode: number | null;
  done: boolean;
}

const FINAL = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
  'PREEMPTED',
]);

/** Parses `scontrol show job -o <id>` (one line of Key=Value pairs). */
export function parseJobStatus(id: string, line: string): SlurmJobStatus {
  const state = /\bJobState=(\S+)/.exec(line)?.[1] ?? 'UNKNOWN';
  const exit = /\bExitCode=(\d+):(\d+)/.exec(line);
  return { id, state, exitCode: exit ? Number(exit[1]) : null, done: FINAL.has(state) };
}

export interface SlurmClient {
  submit(job: SlurmJob, scriptPath: string): Promise<string>;
  status(id: string): Promise<SlurmJobStatus>;
  cancel(id: string): Promise<void>;
}

/** Talks to Slurm through its own commands; `env` carries SLURM_CONF when needed. */
export function slurmCli(env: NodeJS.ProcessEnv = process.env): SlurmClient {
  return {
    async submit(job, scriptPath) {
      writeFileSync(scriptPath, batchScript(job), { mode: 0o700 });
      const { stdout } = await run('sbatch', ['--parsable', scriptPath], { env });
      const id = stdout.trim().split(';')[0] ?? '';
      if (!/^\d+$/.test(id)) throw new Error(`sbatch answered "${stdout.trim()}", not a job id`);
      return id;
    },
    async status(id) {
      try {
        const { stdout } = await run('scontrol', ['show', 'job', '-o', id], { env });
        return parseJobStatus(id, stdout);
      } catch (e) {
        // Finished jobs leave scontrol after MinJobAge; without accounting that is all we can know.
        const message = e instanceof Error ? e.message : String(e);
        if (/Invalid job id/i.test(message)) return { id, state: 'GONE', exitCode: null, done: true };
        throw e;
      }
    },
    async cancel(id) {
      await run('scancel', [id], { env });
    },
  };
}

/**
 * Submits a job and waits for it to end; aborting the signal (a cancelled workflow) cancels
 * the job in Slurm before returning, so no GPU keeps running for nobody.
 */
export async function runOnSlurm(
  client: SlurmClient,
  job: SlurmJob,
  scriptPath: string,
  options: { pollMs?: number; signal?: AbortSignal; onState?: (s: SlurmJobStatus) => void } = {},
): Promise<SlurmJobStatus> {
  const id = await client.submit(job, scriptPath);
  const pollMs = options.pollMs ?? 5000;
  let last = '';
  for (;;) {
    if (options.signal?.aborted) {
      await client.cancel(id);
      for (let i = 0; i < 60; i++) {
        const s = await client.status(id);
        if (s.done) return s;
        await new Promise((r) => setTimeout(r, 500));
      }
      return { id, state: 'CANCELLED', exitCode: null, done: true };
    }
    const status = await client.status(id);
    if (status.state !== last) options.onState?.(status);
    last = status.state;
    if (status.done) return status;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
