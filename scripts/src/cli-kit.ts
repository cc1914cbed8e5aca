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
