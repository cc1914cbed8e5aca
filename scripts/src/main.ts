import { createInterface } from 'node:readline';
import type { Command, CommandEntry, Io } from './cli-kit.ts';
import { EXIT, parseCommandArgs, UsageError } from './cli-kit.ts';

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
  try {
    const command = await found.load();
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      io.out(command.usage);
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (e) {
    // A setup problem (SetupError from @ptb/core/files: a data folder not found) says what to set.
    if (e instanceof UsageError || (e instanceof Error && e.name === 'SetupError')) {
      io.err(e.message);
      return EXIT.usage;
    }
    io.err(`ptb ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.PTB_DEBUG) io.err(e instanceof Error ? (e.stack ?? '') : '');
    return EXIT.internal;
  }
}
/**
 * The process's own streams. Questions go to stderr, so `ptb new --dry-run > file` still asks.
 * One line reader serves every question: answers typed ahead (or piped in) wait in order
 * instead of being dropped between two questions.
 */
export function processIo(): Io {
  const isTTY = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  let reader: ReturnType<typeof createInterface> | undefined;
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let ended = false;
  const open = () => {
    if (reader) return reader;
    reader = createInterface({ input: process.stdin, output: process.stderr, terminal: isTTY });
    reader.on('line', (line) => {
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    });
    reader.on('close', () => {
      ended = true;
      for (const next of waiting.splice(0)) next(undefined);
    });
    // Ctrl-C at a question: nothing has been written yet, so stopping here loses nothing.
    reader.on('SIGINT', () => {
      process.stderr.write('\ncancelled: nothing written\n');
      process.exit(130);
    });
    return reader;
  };
  return {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    cwd: process.cwd(),
    isTTY,
    ask: (question) => {
      const r = open();
      r.setPrompt(question);
      r.prompt();
      const typedAhead = lines.shift();
      if (typedAhead !== undefined) {
        if (!isTTY) process.stderr.write(`${typedAhead}\n`);
        return Promise.resolve(typedAhead);
      }
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () => reader?.close(),
  };
}
