import type { Io } from './cli-kit.ts';

// Loaded on the first question only: most commands never ask, and readline with the terminal
// streams it pulls in is a measurable part of a start-up.
type Readline = typeof import('node:readline');

/**
 * The process's own streams. Questions go to stderr, so `ptb new --dry-run > file` still asks.
 * One line reader serves every question: answers typed ahead (or piped in) wait in order
 * instead of being dropped between two questions.
 */
export function processIo(): Io {
  // Asked for only by commands that may ask: touching process.stdin sets up its stream.
  let tty: boolean | undefined;
  const isTTY = () => (tty ??= Boolean(process.stdin.isTTY && process.stderr.isTTY));
  let reader: ReturnType<Readline['createInterface']> | undefined;
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let ended = false;
  const open = () => {
    if (reader) return reader;
    const { createInterface } = process.getBuiltinModule('node:readline') as Readline;
    reader = createInterface({ input: process.stdin, output: process.stderr, terminal: isTTY() });
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
    get isTTY() {
      return isTTY();
    },
    ask: (question) => {
      const r = open();
      r.setPrompt(question);
      r.prompt();
      const typedAhead = lines.shift();
      if (typedAhead !== undefined) {
        if (!isTTY()) process.stderr.write(`${typedAhead}\n`);
        return Promise.resolve(typedAhead);
      }
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () => reader?.close(),
  };
}
