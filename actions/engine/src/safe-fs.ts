import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/**
 * Reading what the agent left without trusting it: no link is followed, no FIFO, socket or
 * device is opened (O_NOFOLLOW | O_NONBLOCK, then fstat), every walk is iterative and
 * bounded, every read has a byte cap. Nothing here can hang or crash the harness.
 */
const O_SAFE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface WalkLimits {
  maxDepth: number;
  maxEntries: number;
  maxPathLength: number;
}

export const WALK_LIMITS: WalkLimits = { maxDepth: 32, maxEntries: 200_000, maxPathLength: 2048 };

export interface WalkEntry {
  rel: string;
  kind: 'file' | 'link' | 'special';
  size: number;
}

export interface Walk {
  entries: WalkEntry[];
  /** Entries not visited because a bound was reached or they could not be read. */
  skipped: number;
}

/** Files, links and special files under a folder (relative, `/`-separated, sorted); directories are descended, links never followed. */
export function walkTree(root: string, limits: WalkLimits = WALK_LIMITS): Walk {
  const entries: WalkEntry[] = [];
  let skipped = 0;
  let seen = 0;
  const stack: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (stack.length > 0) {
    const { rel, depth } = stack.pop() as { rel: string; depth: number };
    let names: string[];
    try {
      names = readdirSync(rel ? join(root, rel) : root);
    } catch {
      skipped++;
      continue;
    }
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (++seen > limits.maxEntries || childRel.length > limits.maxPathLength) {
        skipped++;
        continue;
      }
      let st: Stats;
      try {
        st = lstatSync(join(root, childRel));
      } catch {
        skipped++;
        continue;
      }
      if (st.isDirectory()) {
        if (depth + 1 >= limits.maxDepth) skipped++;
        else stack.push({ rel: childRel, depth: depth + 1 });
      } else if (st.isSymbolicLink()) entries.push({ rel: childRel, kind: 'link', size: 0 });
      else if (st.isFile()) entries.push({ rel: childRel, kind: 'file', size: st.size });
      else entries.push({ rel: childRel, kind: 'special', size: 0 });
    }
  }
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { entries, skipped };
}

/** Opens a regular file without following a link or blocking; null when it is anything else or cannot be opened. */
function openRegular(path: string): { fd: number; size: number; uid: number; mode: number } | null {
  let fd: number;
  try {
    fd = openSync(path, O_SAFE);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return { fd, size: st.size, uid: st.uid, mode: st.mode };
  } catch {
    // fall through
  }
  closeSync(fd);
  return null;
}

/** At most `maxBytes` of a regular file, with its owner and mode; null when the path is not a regular file. */
export function readBounded(
  path: string,
  maxBytes: number,
): { bytes: Buffer; size: number; truncated: boolean; uid: number; mode: number } | null {
  const f = openRegular(path);
  if (!f) return null;
  try {
    const want = Math.min(f.size, maxBytes);
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const n = readSync(f.fd, buf, got, want - got, got);
      if (n <= 0) break;
      got += n;
    }
    return { bytes: buf.subarray(0, got), size: f.size, truncated: f.size > got, uid: f.uid, mode: f.mode };
  } catch {
    return null;
  } finally {
    closeSync(f.fd);
  }
}

/** sha256 of a regular file, read in pieces; null when the path is not a regular file (a link, a FIFO, a device, gone). */
export async function safeFileSha256(path: string): Promise<string | null> {
  const f = openRegular(path);
  if (!f) return null;
  try {
    const h = createHash('sha256');
    const buf = Buffer.alloc(4 * 2 ** 20);
    let at = 0;
    for (;;) {
      const n = readSync(f.fd, buf, 0, buf.length, at);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      at += n;
      // Large files: the event loop gets a turn after each piece (hashes run beside other work).
      if (n === buf.length) await new Promise((r) => setImmediate(r));
    }
    return h.digest('hex');
  } catch {
    return null;
  } finally {
    closeSync(f.fd);
  }
}
