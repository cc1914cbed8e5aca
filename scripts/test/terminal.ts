import { spawn, spawnSync } from 'node:child_process';

/** One exchange with a program at a terminal: wait until its output matches, then type. */
export interface Step {
  when: RegExp;
  /** What to type; "\r" is Enter, "\x03" Ctrl-C, "\x04" Ctrl-D. */
  type: string;
}

export interface Session {
  code: number | null;
  /** Everything the terminal showed, without colour and cursor codes. */
  screen: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal output is full of escape sequences
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\r/g;
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs a command in a real pseudo-terminal (util-linux `script`), so the program sees a
 * terminal on stdin, stdout and stderr, with line editing, Ctrl-C and Ctrl-D as a person
 * has them. Each step waits for the program's prompt before typing, as a person would.
 * The terminal and everything in it are gone when this returns, whatever happened.
 */
export async function inTerminal(
  command: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; steps: readonly Step[]; timeoutMs?: number },
): Promise<Session> {
  if (spawnSync('script', ['--version']).error)
    throw new Error('the terminal tests need `script` from util-linux: apt-get install bsdutils');
  const steps = [...options.steps];
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command.map(quote).join(' '), '/dev/null'], {
    cwd: options.cwd,
    env: { ...options.env, TERM: 'xterm', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let screen = '';
  let from = 0;
  const onOutput = (chunk: Buffer) => {
    screen += chunk.toString('utf8').replace(ANSI, '');
    for (let step = steps[0]; step; step = steps[0]) {
      const match = step.when.exec(screen.slice(from));
      if (!match) break;
      from += match.index + match[0].length;
      steps.shift();
      child.stdin.write(step.type);
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no exit after ${options.timeoutMs ?? 60_000} ms; waiting for ${steps[0]?.when}; screen:\n${screen}`)),
        options.timeoutMs ?? 60_000,
      );
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (steps.length > 0) throw new Error(`exited (${code}) before ${steps[0]?.when} appeared; screen:\n${screen}`);
    return { code, screen };
  } finally {
    // The terminal's session goes with `script`: closing it hangs up on the program inside.
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
}
