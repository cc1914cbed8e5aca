import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, internal: 3 } as const;

export class UsageError extends Error {}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  /** A person at a terminal can answer questions (stdin and stderr are terminals). */
  isTTY: boolean;
  /**
   * Shows a question and reads one line of answer; resolves to undefined when the input has
   * ended (Ctrl-D, or a script that ran out of lines). Absent when nothing can be asked.
   */
  ask?: (question: string) => Promise<string | undefined>;
  /** Releases the terminal once the command is done. */
  close?: () => void;
}

/** What a command module exports; its name and summary live in the registry (main.ts). */
export interface Command {
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] }, io: Io): Promise<number>;
}

/** One line of the registry: the command's module is imported only when that command runs. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n\n${command.usage}`);
  }
}

/** Runs one loaded command on its arguments; returns the exit code. Never throws: errors become messages. */
export async function runCommandLine(name: string, command: Command, argv: string[], io: Io): Promise<number> {
  try {
    const args = parseCommandArgs(command, argv);
    if (args.values.help) {
      io.out(command.usage);
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (e) {
    return reportFailure(name, e, io);
  }
}

/** A command that failed: a usage or setup problem says what to do (exit 2); anything else is ours (exit 3). */
export function reportFailure(name: string, e: unknown, io: Io): number {
  // A setup problem (SetupError from @ptb/core/files: a data folder not found) says what to set.
  if (e instanceof UsageError || (e instanceof Error && e.name === 'SetupError')) {
    io.err(e.message);
    return EXIT.usage;
  }
  io.err(`ptb ${name}: ${e instanceof Error ? e.message : String(e)}`);
  if (process.env.PTB_DEBUG) io.err(e instanceof Error ? (e.stack ?? '') : '');
  return EXIT.internal;
}
