import { bridgeInit, type SandboxSpec } from './spec.ts';

export interface ApptainerOptions {
  /** A .sif file (or an oras:// / docker:// reference pinned by digest). */
  image: string;
}

/**
 * apptainer exec command line (HPC sites). `--containall` isolates PID/IPC and hides the
 * host home and /tmp, `--cleanenv` drops the host environment, `--net --network none`
 * leaves loopback only (the bridges reach the proxy through bound sockets), `--nv` binds the
 * GPU driver when a GPU is requested, and a writable tmpfs backs the rest of the image.
 */
export function apptainerArgs(spec: SandboxSpec, opts: ApptainerOptions): string[] {
  const a = ['apptainer', 'exec', '--containall', '--cleanenv', '--no-home', '--no-privs', '--writable-tmpfs'];
  a.push('--net', '--network', 'none', '--hostname', spec.hostname);
  if (spec.gpus.length > 0) a.push('--nv');
  a.push('--bind', `${spec.tmpHost}:/tmp:rw`);
  for (const m of [...spec.mounts, ...spec.sockets]) a.push('--bind', `${m.host}:${m.target}:${m.mode}`);
  for (const [k, v] of Object.entries(spec.env)) a.push('--env', `${k}=${v}`);
  a.push('--pwd', spec.cwd, opts.image, ...bridgeInit(spec.bridges), ...spec.argv);
  return a;
}
