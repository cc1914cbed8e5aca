import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Cgroup } from './cgroup.ts';
import { comm, descendants, identify, type ProcId, signalAll, stillAlive } from './processes.ts';

/** Exit code of the sandbox wrapper when it could not put itself into the cgroup (the harness's fault). */
export const CGROUP_JOIN_FAILED = 96;

export interface SuperviseOptions {
  argv: string[];
  /** Environment of the runtime process itself (bwrap clears it for the sandbox). */
  env?: NodeJS.ProcessEnv;
  timeLimitMs: number;
  graceMs: number;
  cgroup?: Cgroup | null;
  /** Bytes of output kept (both streams together); the rest is read and dropped so the sandbox never blocks. */
  maxOutputBytes: number;
  /** Longest line handed on; longer runs without a newline are split. */
  maxLineBytes?: number;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  onFirstOutput?: (atMs: number) => void;
  /** Aborting kills the sandbox at once (the harness is shutting down). */
  signal?: AbortSignal;
}

export interface SuperviseResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  startedAtMs: number;
  endedAtMs: number;
  outputBytes: number;
  truncated: boolean;
  /** Processes of the sandbox still alive after it was torn down (should be empty). */
  leftovers: number[];
}

/**
 * Runs a sandbox command under a hard wall-clock limit. At the limit every process of the
 * sandbox gets SIGTERM, then after the grace period SIGKILL; the runtime process dying takes
 * the whole PID namespace with it (bwrap), and the cgroup, when there is one, catches anything
 * that escaped the process tree (setsid children included).
 */
export function supervise(opts: SuperviseOptions): Promise<SuperviseResult> {
  const [cmd, ...args] = opts.argv;
  if (!cmd) throw new Error('supervise: empty command');
  const cgroup = opts.cgroup ?? null;
  // The first process puts itself into the cgroup before exec, so no child can start outside it.
  // Joining must succeed: a sandbox outside its cgroup would run without limits.
  const join = cgroup
    ? `for f in ${cgroup.procsFiles.map((f) => `'${f}'`).join(' ')}; do echo $$ > "$f" || { echo "ptb-sandbox: cannot join the cgroup $f" >&2; exit ${CGROUP_JOIN_FAILED}; }; done`
    : null;
  const argv = !join
    ? [cmd, ...args]
    : cmd === '/bin/sh' && args[0] === '-c' && args[1] !== undefined
      ? // Already a shell (the seccomp opener): one shell joins, then runs its script, with its own $0 and arguments.
        ['/bin/sh', '-c', `${join}; ${args[1]}`, ...args.slice(2)]
      : ['/bin/sh', '-c', `${join}; exec "$@"`, 'ptb-cg', cmd, ...args];
  const startedAtMs = Date.now();
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    detached: true,
  });
  let outputBytes = 0;
  let kept = 0;
  let truncated = false;
  let firstOutput = false;
  const maxLine = opts.maxLineBytes ?? 16_384;

  const pump = (stream: Readable, name: 'stdout' | 'stderr') => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (!firstOutput) {
        firstOutput = true;
        opts.onFirstOutput?.(Date.now());
      }
      outputBytes += chunk.length;
      if (kept >= opts.maxOutputBytes) {
        truncated = true;
        return;
      }
      const room = opts.maxOutputBytes - kept;
      const piece = chunk.length > room ? chunk.slice(0, room) : chunk;
      if (piece.length < chunk.length) truncated = true;
      kept += piece.length;
      pending += piece;
      let nl = pending.indexOf('\n');
      while (nl >= 0 || pending.length > maxLine) {
        const cut = nl >= 0 && nl < maxLine ? nl : maxLine;
        opts.onLine?.(name, pending.slice(0, cut));
        pending = pending.slice(nl >= 0 && nl < maxLine ? cut + 1 : cut);
        nl = pending.indexOf('\n');
      }
    });
    stream.on('end', () => {
      if (pending) opts.onLine?.(name, pending);
      pending = '';
    });
  };
  pump(child.stdout, 'stdout');
  pump(child.stderr, 'stderr');

  let timedOut = false;
  let seen: ProcId[] = [];
  const sandboxPids = (): number[] => {
    const pid = child.pid;
    const tree = pid ? [pid, ...descendants(pid)] : [];
    return [...new Set([...tree, ...(cgroup?.pids() ?? [])])];
  };
  const hardKill = () => {
    const pids = sandboxPids();
    seen = [...seen, ...identify(pids)];
    signalAll(pids, 'SIGKILL');
    cgroup?.killAll();
  };
  let graceTimer: NodeJS.Timeout | undefined;
  const limitTimer = setTimeout(() => {
    timedOut = true;
    const pids = sandboxPids();
    seen = identify(pids);
    // The runtime's own processes (bwrap outside and its init inside) stay alive during the grace
    // period so the agent can shut down; killing them ends the namespace at once.
    signalAll(
      pids.filter((p) => p !== child.pid && comm(p) !== 'bwrap'),
      'SIGTERM',
    );
    graceTimer = setTimeout(hardKill, opts.graceMs);
  }, opts.timeLimitMs);

  const onAbort = () => hardKill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) hardKill();

  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(limitTimer);
      reject(e);
    });
    child.on('close', async (code, signal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      clearTimeout(limitTimer);
      if (graceTimer) clearTimeout(graceTimer);
      const endedAtMs = Date.now();
      // The namespace's processes are being killed by the kernel as its init exits; give them a
      // moment. Anything still running after that outlived the sandbox: killed and reported.
      const remaining = () => [...new Set([...(cgroup?.pids() ?? []), ...stillAlive(seen)])];
      for (let i = 0; i < 100 && remaining().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      const rest = remaining();
      if (rest.length > 0) {
        signalAll(rest, 'SIGKILL');
        cgroup?.killAll();
      }
      resolve({ exitCode: code, signal, timedOut, startedAtMs, endedAtMs, outputBytes, truncated, leftovers: rest });
    });
  });
}
