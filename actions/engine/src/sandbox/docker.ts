import type { SandboxUser } from './identity.ts';
import { bridgeInit, type SandboxSpec } from './spec.ts';

export interface DockerOptions {
  image: string;
  name: string;
  /** An `--internal` network whose only other member is the egress proxy; null: no network at all. */
  network: string | null;
  /** GPU selection: CDI device names (nvidia.com/gpu=0) or indices for `--gpus device=N`. */
  gpuMode: 'cdi' | 'gpus-flag';
  /** The unprivileged host user the container runs as; null: the image's user. */
  user?: SandboxUser | null;
}

/**
 * docker run command line (production runners). No capabilities, no new privileges, a
 * read-only root with only the workspace and /tmp writable, pids/memory/CPU limits, one GPU,
 * no Docker socket inside, and either no network or an internal network whose only exit is
 * the proxy. Sockets are bind-mounted like any file, so bridges work the same way as bwrap.
 */
export function dockerArgs(spec: SandboxSpec, opts: DockerOptions): string[] {
  const a = ['docker', 'run', '--rm', '--name', opts.name, '--init', '--read-only'];
  a.push('--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--ipc', 'private');
  a.push('--network', opts.network ?? 'none', '--hostname', spec.hostname);
  if (opts.user) a.push('--user', `${opts.user.uid}:${opts.user.gid}`);
  if (spec.limits.pids) a.push('--pids-limit', String(spec.limits.pids));
  if (spec.limits.memoryBytes)
    a.push('--memory', String(spec.limits.memoryBytes), '--memory-swap', String(spec.limits.memoryBytes));
  if (spec.limits.cpus) a.push('--cpus', String(spec.limits.cpus));
  for (const g of dockerGpus(spec.gpus)) {
    if (opts.gpuMode === 'cdi') a.push('--device', g.startsWith('nvidia.com/') ? g : `nvidia.com/gpu=${g}`);
    else a.push('--gpus', `device=${g}`);
  }
  a.push('--mount', `type=bind,source=${spec.tmpHost},target=/tmp`);
  for (const m of [...spec.mounts, ...spec.sockets]) {
    if (m.host === '/var/run/docker.sock' || m.host.endsWith('/docker.sock'))
      throw new Error('refusing to mount the Docker socket into a sandbox');
    a.push('--mount', `type=bind,source=${m.host},target=${m.target}${m.mode === 'ro' ? ',readonly' : ''}`);
  }
  a.push('--tmpfs', '/run:rw,nosuid,nodev,size=16m');
  for (const [k, v] of Object.entries(spec.env)) a.push('--env', `${k}=${v}`);
  a.push('--workdir', spec.cwd, opts.image, ...bridgeInit(spec.bridges), ...spec.argv);
  return a;
}

/** GPU indices for docker: `/dev/nvidiaN` device nodes become N; the shared control nodes come with the GPU. */
export function dockerGpus(gpus: readonly string[]): string[] {
  return gpus.flatMap((g) => {
    if (!g.startsWith('/dev/')) return [g];
    const m = /^\/dev\/nvidia(\d+)$/.exec(g);
    return m?.[1] ? [m[1]] : [];
  });
}
