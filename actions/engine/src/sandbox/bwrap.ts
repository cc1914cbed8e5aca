import { bridgeInit, type SandboxSpec } from './spec.ts';

/** Host directories the sandbox sees read-only: the OS, never the harness or anything under /work, /root or /home. */
const SYSTEM_RO = ['/usr', '/etc/alternatives', '/etc/ssl', '/etc/ca-certificates', '/etc/pki'];
const SYSTEM_FILES = ['/etc/ld.so.cache', '/etc/localtime', '/etc/nsswitch.conf', '/etc/passwd', '/etc/group', '/etc/mime.types'];
const MERGED_USR_LINKS: [string, string][] = [
  ['usr/bin', '/bin'],
  ['usr/sbin', '/sbin'],
  ['usr/lib', '/lib'],
  ['usr/lib64', '/lib64'],
];

/** Kernel interfaces under /proc that a sandbox may read but never write (sysctls such as core_pattern, sysrq, IRQs, buses). */
export const PROC_READ_ONLY = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs'];

export interface BwrapOptions {
  /** Descriptor holding the seccomp program (see seccomp.ts); null for none. */
  seccompFd?: number | null;
}

/**
 * bubblewrap command line for a spec. Every namespace is unshared (user and net included:
 * loopback only), capabilities are dropped, the sandbox dies with the harness, the
 * environment is cleared, only the workspace (and the scratch /tmp) are writable, kernel
 * interfaces under /proc are read-only and the seccomp filter is installed.
 */
export function bwrapArgs(spec: SandboxSpec, opts: BwrapOptions = {}): string[] {
  const a: string[] = [
    'bwrap',
    '--unshare-all',
    '--unshare-user',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--clearenv',
  ];
  for (const [k, v] of Object.entries(spec.env)) a.push('--setenv', k, v);
  a.push('--hostname', spec.hostname);
  for (const dir of SYSTEM_RO) a.push(dir === '/usr' ? '--ro-bind' : '--ro-bind-try', dir, dir);
  for (const [target, link] of MERGED_USR_LINKS) a.push('--symlink', target, link);
  for (const f of SYSTEM_FILES) a.push('--ro-bind-try', f, f);
  a.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/dev/shm', '--tmpfs', '/run');
  for (const p of PROC_READ_ONLY) a.push('--ro-bind-try', p, p);
  a.push('--bind', spec.tmpHost, '/tmp');
  for (const m of spec.mounts) a.push(m.mode === 'rw' ? '--bind' : '--ro-bind', m.host, m.target);
  for (const s of spec.sockets) a.push('--bind', s.host, s.target);
  for (const dev of spec.gpus) a.push('--dev-bind', dev, dev);
  // Everything not bound writable above becomes read-only (the root tmpfs, /run and /dev
  // included); /dev/shm stays a writable in-memory tmpfs because PyTorch needs it.
  a.push('--remount-ro', '/', '--remount-ro', '/run', '--remount-ro', '/dev');
  if (opts.seccompFd !== undefined && opts.seccompFd !== null) a.push('--seccomp', String(opts.seccompFd));
  a.push('--chdir', spec.cwd, '--');
  a.push(...bridgeInit(spec.bridges), ...spec.argv);
  return a;
}
