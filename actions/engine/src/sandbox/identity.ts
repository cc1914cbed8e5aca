import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A host uid/gid that owns nothing else: the sandboxes of a cell run as it. */
export interface SandboxUser {
  uid: number;
  gid: number;
}

/** Default first uid of the sandbox users (one per GPU index, so two cells on one host never share a uid). */
export const SANDBOX_UID_BASE = 64000;

/**
 * The user the sandboxes of a cell run as. A harness started as root hands the sandbox to
 * an unprivileged uid of its own (PTB_SANDBOX_UID, default 64000, plus the GPU index); an
 * unprivileged harness (the runner images, systemd units) runs the sandbox as itself, which
 * is never root. Returns null for the latter (nothing to switch).
 */
export function sandboxUser(env: NodeJS.ProcessEnv, gpuIndex: number): SandboxUser | null {
  if (process.getuid?.() !== 0) return null;
  const base = Number(env.PTB_SANDBOX_UID ?? SANDBOX_UID_BASE);
  if (!Number.isInteger(base) || base < 1000 || base > 4_000_000_000)
    throw new Error(`PTB_SANDBOX_UID must be an integer uid of at least 1000 (got "${env.PTB_SANDBOX_UID}")`);
  return { uid: base + gpuIndex, gid: base + gpuIndex };
}

/** The uid the sandbox will have on the host (for the result and the checks). */
export const effectiveSandboxUid = (user: SandboxUser | null): number => user?.uid ?? process.getuid?.() ?? -1;

/** Hands a folder the harness made for the sandbox to its user (no-op for an unprivileged harness). Links are changed, never followed. */
export function giveTo(user: SandboxUser | null, path: string): void {
  if (!user) return;
  const r = spawnSync('chown', ['-R', '-h', '-P', `${user.uid}:${user.gid}`, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot hand ${path} to the sandbox user ${user.uid}: ${r.stderr.trim()}`);
}

/** passwd and group files naming the sandbox user, so tools that look their user up find one; bound over the host's. */
export function identityFiles(dir: string, user: SandboxUser | null): { passwd: string; group: string } {
  const uid = user?.uid ?? process.getuid?.() ?? 65534;
  const gid = user?.gid ?? process.getgid?.() ?? 65534;
  const passwd = join(dir, 'passwd');
  const group = join(dir, 'group');
  writeFileSync(
    passwd,
    `root:x:0:0:root:/root:/bin/sh\nagent:x:${uid}:${gid}:agent:/workspace/.home:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    { mode: 0o644 },
  );
  writeFileSync(group, `root:x:0:\nagent:x:${gid}:\nnogroup:x:65534:\n`, { mode: 0o644 });
  return { passwd, group };
}

/**
 * The first path under `path` the sandbox user cannot read (or enter), or null when it can
 * read all of it: a base model saved with mode 0600 would otherwise fail the agent, not the
 * runner. Links are not followed. `deep: false` checks the path itself only (large toolchains).
 */
export function unreadableBy(user: SandboxUser | null, path: string, deep = true): string | null {
  const find = [
    'find',
    path,
    ...(deep ? [] : ['-maxdepth', '0']),
    '(',
    '!',
    '-readable',
    '-o',
    '-type',
    'd',
    '!',
    '-executable',
    ')',
    '-print',
    '-quit',
  ];
  const argv = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...find] : find;
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  // find cannot even start (a parent the user may not enter): the path itself is out of reach.
  if (r.status !== 0 && !r.stdout.trim()) return path;
  return r.stdout.trim().split('\n')[0] || null;
}
