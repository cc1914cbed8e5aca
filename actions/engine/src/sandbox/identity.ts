import { lchownSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../host-command.ts';

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

/**
 * Hands a folder the harness made for the sandbox (a fresh workspace, a log folder) to its
 * user; a no-op for an unprivileged harness.
 */
export function giveTo(user: SandboxUser | null, path: string): void {
  if (!user) return;
  try {
    chownTree(path, user.uid, user.gid);
  } catch (e) {
    throw new Error(`cannot hand ${path} to the sandbox user ${user.uid}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Gives a tree the harness made to another user. Links are changed, never followed. In
 * process: these trees are small, and starting `chown -R` cost more than the walk.
 */
export function chownTree(path: string, uid: number, gid: number): void {
  const pending = [path];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    lchownSync(dir, uid, gid);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const entry = join(dir, e.name);
      if (e.isDirectory()) pending.push(entry);
      else lchownSync(entry, uid, gid);
    }
  }
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

/** What the sandbox user cannot do: make a user namespace (`userns`, bwrap's message), or read a folder (`unreadable`). */
export type AccessProblem = { kind: 'userns'; message: string } | { kind: 'unreadable'; dir: string; blocked: string };

/**
 * Asks, as the sandbox user and in one process, whether it can make a user namespace (bwrap,
 * with no_new_privs as the sandbox will have it) and read each folder: for `deep` ones every
 * file under it, otherwise the folder itself (large toolchains). Links are not followed. A
 * base model saved with mode 0600 would otherwise fail the agent, not the runner.
 */
export async function sandboxAccessProblems(
  user: SandboxUser | null,
  input: { probeUserNamespace: boolean; folders: readonly { dir: string; deep: boolean }[]; setpriv: boolean },
): Promise<AccessProblem[]> {
  if (!input.probeUserNamespace && input.folders.length === 0) return [];
  // Tab-separated lines out; a folder find cannot even start in (a parent the user may not
  // enter) is itself out of reach.
  const script = [
    'if [ "$1" = 1 ]; then',
    "  err=$(bwrap --unshare-all --unshare-user --ro-bind / / true 2>&1) || printf 'userns\\t%s\\n' \"$(printf %s \"$err\" | head -c 2000 | tr '\\n\\t' '  ')\"",
    'fi',
    'shift',
    'while [ $# -ge 2 ]; do',
    '  if [ "$1" = 1 ]; then depth=""; else depth="-maxdepth 0"; fi',
    '  hit=$(find "$2" $depth \\( ! -readable -o -type d ! -executable \\) -print -quit 2>/dev/null); s=$?',
    '  if [ -n "$hit" ]; then printf \'unreadable\\t%s\\t%s\\n\' "$2" "$hit"; elif [ $s -ne 0 ]; then printf \'unreadable\\t%s\\t%s\\n\' "$2" "$2"; fi',
    '  shift 2',
    'done',
  ].join('\n');
  const args = [
    '-c',
    script,
    'ptb-access',
    input.probeUserNamespace ? '1' : '0',
    ...input.folders.flatMap((f) => [f.deep ? '1' : '0', f.dir]),
  ];
  const switchUser = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'] : [];
  const r = input.setpriv
    ? await runCommand('setpriv', [...switchUser, '--no-new-privs', '--', '/bin/sh', ...args], { timeoutMs: 60_000 })
    : await runCommand('/bin/sh', args, { timeoutMs: 60_000 });
  const problems: AccessProblem[] = [];
  for (const line of r.stdout.split('\n')) {
    const [kind, a = '', b = ''] = line.split('\t');
    if (kind === 'userns') problems.push({ kind, message: a.trim() || 'bwrap failed' });
    if (kind === 'unreadable') problems.push({ kind, dir: a, blocked: b });
  }
  if (r.status !== 0 && problems.length === 0)
    problems.push({
      kind: 'userns',
      message: `the access check could not run: ${(r.stderr || r.error || `exit ${r.status}`).trim()}`,
    });
  return problems;
}
