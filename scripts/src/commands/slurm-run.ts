import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CellResult } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { runOnSlurm, slurmCli } from '@ptb/fleet/slurm';
import { type Command, EXIT, UsageError } from '../cli-kit.ts';
import { CELL_OPTIONS } from './run.ts';

/** This very command line: the source entry, or the single-file bundle when running from one. */
const PTB = /ptb\.(ts|mjs)$/.test(process.argv[1] ?? '')
  ? (process.argv[1] as string)
  : fileURLToPath(new URL('../ptb.ts', import.meta.url));
/** `ptb run` options passed through to the job unchanged. */
const PASSED = [
  'submission',
  'base-model',
  'benchmark',
  'seed',
  'definition',
  'runtime',
  'budget-seconds',
  'agent',
  'model-cache',
] as const;

export const command: Command = {
  usage: `Usage: ptb slurm-run --submission <dir> --base-model <HF id> --benchmark <id> --seed <n> --out <dir>
                     [--definition v1] [--runtime bwrap|apptainer] [--budget-seconds <n>] [--agent ...]
                     [--model-cache <dir>] [--partition <p>] [--account <a>] [--gpus <n>]
                     [--cpus <n>] [--memory-gb <n>] [--poll-seconds <n>]

Submits \`ptb run\` for one cell as a Slurm batch job (one GPU by default, a wall limit of the
budget plus verification), waits for it, and prints the CellResult it wrote. When this process
is stopped (a cancelled workflow sends SIGTERM), the job is cancelled with scancel first.
The out folder must be on a file system the compute node shares.

Exit codes: 0 a result was written, 1 invalid input, 2 bad usage, 3 the job wrote no result.`,
  options: {
    ...CELL_OPTIONS,
    partition: { type: 'string' },
    account: { type: 'string' },
    gpus: { type: 'string' },
    cpus: { type: 'string', default: '16' },
    'memory-gb': { type: 'string', default: '120' },
    'poll-seconds': { type: 'string', default: '15' },
  },
  async run({ values }, io) {
    for (const required of ['submission', 'base-model', 'benchmark', 'seed', 'out'])
      if (typeof values[required] !== 'string') throw new UsageError(`missing --${required}\n\n${command.usage}`);
    const def = loadDefinition(String(values.definition));
    const out = resolve(io.cwd, String(values.out));
    mkdirSync(out, { recursive: true });
    const budgetSeconds = values['budget-seconds'] ? Number(values['budget-seconds']) : def.budget.hours * 3600;
    // The agent's budget, then verification and slack; Slurm's own limit must never cut the harness short.
    const timeLimitMinutes = Math.ceil(budgetSeconds / 60) + 60;
    const argv = [process.execPath, PTB, 'run'];
    for (const name of PASSED) {
      const v = values[name];
      if (typeof v === 'string') argv.push(`--${name}`, name === 'submission' || name === 'model-cache' ? resolve(io.cwd, v) : v);
    }
    argv.push('--out', out);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      const status = await runOnSlurm(
        slurmCli(),
        {
          name: `ptb-${values.benchmark}-${values.seed}`,
          command: argv,
          workdir: io.cwd,
          timeLimitMinutes,
          gpus: values.gpus === undefined ? def.budget.gpu.count : Number(values.gpus),
          cpus: Number(values.cpus),
          memoryGB: Number(values['memory-gb']),
          logFile: join(out, 'slurm-%j.log'),
          ...(typeof values.partition === 'string' ? { partition: values.partition } : {}),
          ...(typeof values.account === 'string' ? { account: values.account } : {}),
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        },
        join(out, 'job.sh'),
        {
          pollMs: Number(values['poll-seconds']) * 1000,
          signal: controller.signal,
          onState: (s) => io.err(`slurm job ${s.id}: ${s.state}`),
        },
      );
      const resultPath = join(out, 'result.json');
      if (!existsSync(resultPath)) {
        io.err(`slurm job ${status.id} ended ${status.state} without writing ${resultPath}; see ${out}/slurm-${status.id}.log`);
        return EXIT.internal;
      }
      const result = CellResult.parse(JSON.parse(readFileSync(resultPath, 'utf8')));
      io.out(JSON.stringify(result, null, 2));
      if (controller.signal.aborted || status.state === 'CANCELLED') {
        // `ptb run` inside the job was stopped too and recorded it: an error of the fleet, to retry.
        io.err(
          `slurm job ${status.id} ended ${status.state}; the cell recorded ${result.status}${result.errorSource ? ` (${result.errorSource})` : ''}: ${result.statusDetail ?? ''}`,
        );
        return EXIT.internal;
      }
      return EXIT.ok;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
  },
};
