import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface CommandResult {
  /** The exit status; null when the command could not start or was killed. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not start or finish (not found, timed out, killed). */
  error?: string;
}

/**
 * Runs a host command without blocking the event loop, so that a cell's setup steps (its
 * filesystem, certificates, sandbox checks) overlap. Never rejects: the caller reads the status.
 */
export function runCommand(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
): Promise<CommandResult> {
  const options = {
    encoding: 'utf8' as const,
    timeout: opts.timeoutMs ?? 0,
    maxBuffer: opts.maxBuffer ?? 4 << 20,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  };
  return new Promise((resolve) => {
    execFile(cmd, args, options, (error, stdout, stderr) => {
      if (!error) return resolve({ status: 0, stdout, stderr });
      const status = typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr, ...(status === null ? { error: error.message } : {}) });
    });
  });
}

/** Whether `cmd` is an executable file on PATH: what `command -v` answers, without starting a shell. */
export function onPath(cmd: string, path: string = process.env.PATH ?? ''): boolean {
  const candidates = cmd.includes('/') ? [cmd] : path.split(delimiter).map((d) => join(d || '.', cmd));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
