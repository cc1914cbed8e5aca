import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  type Stats,
} from 'node:fs';
import { join, posix } from 'node:path';

/** Bounds of a snapshot: generous for any real model folder, small enough that no tree can hang or fill the harness. */
export interface SnapshotLimits {
  maxDepth: number;
  maxEntries: number;
  maxBytes: number;
  maxPathLength: number;
}

export const SNAPSHOT_LIMITS: SnapshotLimits = {
  maxDepth: 16,
  maxEntries: 20_000,
  maxBytes: 200 * 2 ** 30,
  maxPathLength: 1024,
};

export type SnapshotProblemKind = 'link-outside' | 'special-file' | 'too-deep' | 'too-many' | 'too-large' | 'unreadable';

export interface SnapshotProblem {
  kind: SnapshotProblemKind;
  path: string;
  detail: string;
}

export type Snapshot =
  | { kind: 'absent' }
  | { kind: 'not-a-directory'; detail: string }
  | { kind: 'copied'; dir: string; files: number; bytes: number; problems: SnapshotProblem[] };

const O_SAFE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Copies a tree the agent made into a folder only the harness writes, as regular files:
 * never following a link on the host (a link inside the tree to a regular file inside the
 * tree is copied as that file; any other link is left out), never opening a FIFO, socket
 * or device, walking iteratively within bounds of depth, path length, entries and bytes.
 * Everything left out is listed as a problem. Whatever the tree holds, this returns.
 *
 * `linkQuiet`: nothing can write to the tree any more (its writer is gone) and `dest` is on
 * its filesystem: each file checked is hard-linked instead of copied, then given to the
 * harness's user and made read-only, so the snapshot costs no time and no space. A file that
 * cannot be linked or taken over is copied.
 */
export function snapshotTree(
  src: string,
  dest: string,
  limits: SnapshotLimits = SNAPSHOT_LIMITS,
  opts: { linkQuiet?: boolean } = {},
): Snapshot {
  let top: ReturnType<typeof lstatSync>;
  try {
    top = lstatSync(src);
  } catch {
    return { kind: 'absent' };
  }
  if (top.isSymbolicLink()) return { kind: 'not-a-directory', detail: `final_model is a link (to ${safeReadlink(src)})` };
  if (!top.isDirectory()) return { kind: 'not-a-directory', detail: 'final_model is not a directory' };
  mkdirSync(dest, { recursive: true });
  chmodSync(dest, 0o755);
  const problems: SnapshotProblem[] = [];
  // At most 100 problems of each kind are listed (a bound reached is always listed).
  const perKind = new Map<SnapshotProblemKind, number>();
  const problem = (kind: SnapshotProblemKind, path: string, detail: string) => {
    const n = perKind.get(kind) ?? 0;
    perKind.set(kind, n + 1);
    if (n < 100) problems.push({ kind, path, detail });
  };
  let files = 0;
  let bytes = 0;
  let entries = 0;
  const stack: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (stack.length > 0) {
    const { rel, depth } = stack.pop() as { rel: string; depth: number };
    let names: string[];
    try {
      names = readdirSync(join(src, rel)).sort();
    } catch (e) {
      problem('unreadable', rel || '.', errorText(e));
      continue;
    }
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (++entries > limits.maxEntries) {
        problem('too-many', childRel, `more than ${limits.maxEntries} entries; the rest is left out`);
        return { kind: 'copied', dir: dest, files, bytes, problems };
      }
      if (childRel.length > limits.maxPathLength) {
        problem('too-deep', childRel.slice(0, 200), `path longer than ${limits.maxPathLength} characters`);
        continue;
      }
      const from = join(src, childRel);
      let st: Stats;
      try {
        st = lstatSync(from);
      } catch (e) {
        problem('unreadable', childRel, errorText(e));
        continue;
      }
      if (st.isDirectory()) {
        if (depth + 1 >= limits.maxDepth) {
          problem('too-deep', childRel, `deeper than ${limits.maxDepth} levels`);
          continue;
        }
        mkdirSync(join(dest, childRel));
        chmodSync(join(dest, childRel), 0o755);
        stack.push({ rel: childRel, depth: depth + 1 });
        continue;
      }
      let sourceRel = childRel;
      if (st.isSymbolicLink()) {
        const target = resolveInside(src, childRel);
        if (!target.ok) {
          problem('link-outside', childRel, target.detail);
          continue;
        }
        sourceRel = target.rel;
      } else if (!st.isFile()) {
        problem('special-file', childRel, `${kindOf(st)}: not copied`);
        continue;
      }
      const copied = copyRegular(join(src, sourceRel), join(dest, childRel), limits.maxBytes - bytes, opts.linkQuiet === true);
      if (!copied.ok) {
        problem(copied.kind, childRel, copied.detail);
        if (copied.kind === 'too-large') return { kind: 'copied', dir: dest, files, bytes, problems };
        continue;
      }
      files++;
      bytes += copied.bytes;
    }
  }
  return { kind: 'copied', dir: dest, files, bytes, problems };
}

/** Copies (or links) one regular file through a descriptor opened without following links or blocking, within a byte budget. */
function copyRegular(
  from: string,
  to: string,
  budget: number,
  link: boolean,
): { ok: true; bytes: number } | { ok: false; kind: SnapshotProblemKind; detail: string } {
  let fd: number;
  try {
    fd = openSync(from, O_SAFE);
  } catch (e) {
    return { ok: false, kind: 'unreadable', detail: errorText(e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, kind: 'special-file', detail: `${kindOf(st)}: not copied` };
    if (st.size > budget) return { ok: false, kind: 'too-large', detail: `the snapshot would exceed its byte limit` };
    if (link && linkedAsOpened(from, to, st)) {
      try {
        // The harness's own from now on: nobody else may change it, nothing in it runs as its owner.
        fchownSync(fd, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
        fchmodSync(fd, 0o644);
        return { ok: true, bytes: st.size };
      } catch {
        // Not ours to take over: copied instead.
        rmSync(to, { force: true });
      }
    }
    // The descriptor's magic link names exactly the file opened above, whatever the path points to now.
    copyFileSync(`/proc/self/fd/${fd}`, to);
    // Readable by the verification sandbox's user, whatever mode the agent gave it; never executable or setuid.
    chmodSync(to, 0o644);
    return { ok: true, bytes: st.size };
  } catch (e) {
    return { ok: false, kind: 'unreadable', detail: errorText(e) };
  } finally {
    closeSync(fd);
  }
}

/** Hard-links `from` at `to`; true only when the new name is the very file opened (else it is removed again). */
function linkedAsOpened(from: string, to: string, opened: Stats): boolean {
  try {
    linkSync(from, to);
  } catch {
    return false;
  }
  const made = lstatSync(to, { throwIfNoEntry: false });
  if (made?.isFile() && made.ino === opened.ino && made.dev === opened.dev) return true;
  rmSync(to, { force: true });
  return false;
}

/** Follows a link inside the tree lexically (at most 8 hops); ok only when it ends at a regular file inside it. */
function resolveInside(root: string, rel: string): { ok: true; rel: string } | { ok: false; detail: string } {
  let current = rel;
  for (let hop = 0; hop < 8; hop++) {
    const target = safeReadlink(join(root, current));
    if (target.startsWith('/')) return { ok: false, detail: `link to ${target}, outside final_model` };
    const next = posix.normalize(posix.join(posix.dirname(current), target));
    if (next === '..' || next.startsWith('../') || next === '.')
      return { ok: false, detail: `link to ${target}, outside final_model` };
    let st: Stats;
    try {
      st = lstatSync(join(root, next));
    } catch {
      return { ok: false, detail: `dangling link to ${target}` };
    }
    if (st.isFile()) return { ok: true, rel: next };
    if (!st.isSymbolicLink()) return { ok: false, detail: `link to ${target}, which is not a regular file` };
    current = next;
  }
  return { ok: false, detail: 'a chain of more than 8 links' };
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a link';
  return 'not a regular file';
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message.replace(/^[A-Z]+: /, '') : String(e));

/** Regular files of a snapshot, relative, sorted (the snapshot has nothing else). */
export function snapshotFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop() as string;
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) stack.push(childRel);
      else if (e.isFile()) out.push(childRel);
    }
  }
  return out.sort();
}
