/**
 * What a sandbox must look like, independent of the runtime that builds it. Each runtime
 * (bwrap, docker, apptainer) turns this into a command line; that translation is pure and
 * unit-tested, so the security properties are visible as data.
 */
export interface Mount {
  host: string;
  target: string;
  mode: 'ro' | 'rw';
}

/** A loopback TCP port inside the sandbox that reaches a unix socket bound in from the harness. */
export interface Bridge {
  port: number;
  socket: string;
}

export interface SandboxSpec {
  /** Command run inside, after the bridges are up. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  mounts: Mount[];
  /** Unix sockets bound in (host path -> path inside); the only ways out of the sandbox. */
  sockets: Mount[];
  /** none: loopback only; bridges: loopback plus the listed port-to-socket bridges. */
  bridges: Bridge[];
  /** GPU device nodes (bwrap, apptainer) or indices (docker); empty for none. */
  gpus: string[];
  limits: { memoryBytes?: number; pids?: number; cpus?: number };
  /** A writable scratch directory mounted at /tmp (host path); inside the workspace for the agent. */
  tmpHost: string;
  hostname: string;
}

/** Paths inside every sandbox. */
export const INSIDE = {
  workspace: '/workspace',
  harness: '/opt/ptb',
  baseModel: '/models/base',
  models: '/models',
  run: '/run/ptb',
  model: '/model',
  evaluator: '/evaluator',
  logs: '/logs',
  cache: '/cache',
  /** The evaluation data cache (datasets, chat templates, judge prompts), read-only. */
  data: '/data',
} as const;

export const PROXY_PORT = 3128;
export const LLM_PORT = 4000;

/** Printed by the sandbox's first process just before it hands over to the agent; never kept in the trace. */
export const EXEC_MARKER = 'ptb-sandbox: starting the agent';

/** Shell run as the sandbox's first process: starts the socat bridges, waits until they listen, then execs the command. */
export function bridgeInit(bridges: readonly Bridge[]): string[] {
  if (bridges.length === 0) return [];
  const lines = ['set -e'];
  for (const b of bridges) {
    lines.push(`socat TCP-LISTEN:${b.port},bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:${b.socket} </dev/null >/dev/null 2>&1 &`);
  }
  // /proc/net/tcp lists listening sockets as 0100007F:<port hex> with state 0A, one line per
  // bridge once it listens: one grep per round counts them all.
  const patterns = bridges.map((b) => `-e ':${b.port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A'`).join(' ');
  lines.push(
    `i=0; until [ "$(grep -c ${patterns} /proc/net/tcp)" -ge ${bridges.length} ]; do i=$((i+1)); [ $i -lt 1000 ] || exit 97; sleep 0.005; done`,
  );
  // The harness's part ends here: the marker times the overhead apart from the agent's own start-up.
  lines.push(`echo '${EXEC_MARKER}' >&2`);
  lines.push('exec "$@"');
  return ['/bin/sh', '-c', lines.join('\n'), 'ptb-init'];
}

/**
 * Host software the sandboxes need beyond /usr: e.g. a Python environment with PyTorch
 * (/opt/torch/.venv) or a driver folder. PTB_SANDBOX_TOOLCHAIN lists them (colon-separated);
 * each is bound read-only at the same path and its bin/ goes first on PATH.
 */
export function toolchain(env: NodeJS.ProcessEnv = process.env): { mounts: Mount[]; path: string } {
  const dirs = (env.PTB_SANDBOX_TOOLCHAIN ?? '')
    .split(':')
    .map((d) => d.trim())
    .filter((d) => d.startsWith('/'));
  return {
    mounts: dirs.map((d) => ({ host: d, target: d, mode: 'ro' as const })),
    path: [...dirs.map((d) => `${d}/bin`), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
  };
}
