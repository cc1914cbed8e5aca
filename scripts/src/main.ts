import { createInterface } from 'node:readline/promises';
import { type Command, EXIT, type Io, parseCommandArgs, UsageError } from './cli-kit.ts';
import { doctor } from './commands/doctor.ts';
import { importV1 } from './commands/import-v1.ts';
import { leaderboard } from './commands/leaderboard.ts';
import { newSubmission } from './commands/new.ts';
import { plan } from './commands/plan.ts';
import { run } from './commands/run.ts';
import { schemas } from './commands/schemas.ts';
import { slurmRun } from './commands/slurm-run.ts';
import { validate } from './commands/validate.ts';

export const COMMANDS: Command[] = [validate, newSubmission, leaderboard, importV1, schemas, plan, run, slurmRun, doctor];

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
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`unknown command "${name}"\n\n${topHelp()}`);
    return EXIT.usage;
  }
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      io.out(command.usage);
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message);
      return EXIT.usage;
    }
    io.err(`ptb ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.PTB_DEBUG) io.err(e instanceof Error ? (e.stack ?? '') : '');
    return EXIT.internal;
  }
}

export function processIo(): Io {
  const isTTY = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    cwd: process.cwd(),
    isTTY,
    ask: async (q) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(q);
      } finally {
        rl.close();
      }
    },
  };
}
