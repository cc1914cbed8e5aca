import type { Command, CommandEntry, Io } from './cli-kit.ts';
import { EXIT, reportFailure, runCommandLine } from './cli-kit.ts';

/**
 * Every command, one line each. Modules load only when their command runs, so `ptb --help`
 * and `ptb validate` do not pay for the run engine, the Slurm backend or the v1 importer.
 */
export const COMMANDS: readonly CommandEntry[] = [
  entry('validate', 'check manifests and results (all of submissions/ by default)', () => import('./commands/validate.ts')),
  entry('new', 'write a valid submissions/<id>/submission.yaml from flags or prompts', () => import('./commands/new.ts')),
  entry('leaderboard', 'print the ranked leaderboard from submissions/', () => import('./commands/leaderboard.ts')),
  entry('import-v1', 'regenerate the published v1 results as submissions (imported)', () => import('./commands/import-v1.ts')),
  entry('schemas', 'export the JSON Schema files editors use for submission.yaml', () => import('./commands/schemas.ts')),
  entry('plan', 'GPU-hours, cost and wall time on a fleet; queue simulation', () => import('./commands/plan.ts')),
  entry('run', 'run one cell (agent x base model x benchmark) in a sandbox, verify it', () => import('./commands/run.ts')),
  entry('slurm-run', 'hand one cell to Slurm: sbatch `ptb run` on one GPU, wait', () => import('./commands/slurm-run.ts')),
  entry(
    'calibrate',
    'run the baseline agent on every cell of a definition and compare with the published zero-shot baselines',
    () => import('./commands/calibrate.ts'),
  ),
  entry(
    'doctor',
    "check the GitHub repository's settings the pipeline needs (through the API)",
    () => import('./commands/doctor.ts'),
  ),
];

/** A registry line; the module's export is its `command`. */
function entry(name: string, summary: string, load: () => Promise<{ command: Command }>): CommandEntry {
  return { name, summary, load: async () => (await load()).command };
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'ptb: the PostTrainBench leaderboard command line',
    '',
    'Usage: ptb <command> [options]    (ptb <command> --help for details)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 invalid input or check failed, 2 bad usage, 3 internal error.',
  ].join('\n');
}

/** Runs one command line; returns the exit code. Never throws: errors become messages. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const found = COMMANDS.find((c) => c.name === name);
  if (!found) {
    io.err(`unknown command "${name}"\n\n${topHelp()}`);
    return EXIT.usage;
  }
  let command: Command;
  try {
    command = await found.load();
  } catch (e) {
    return reportFailure(name, e, io);
  }
  return runCommandLine(name, command, rest, io);
}
