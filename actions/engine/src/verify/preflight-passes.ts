import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sha256 } from '../hash.ts';
import { readBounded } from '../safe-fs.ts';

/**
 * Passes of the evaluator preflight, remembered per runner so that the next cell need not
 * start Python to learn the same thing. A pass is reused only while every file and folder it
 * rested on (the Python binary, the modules found, the task file, each data file and the
 * check's own code, listed by the check itself) is unchanged: small files by their content
 * (so a job's fresh checkout of the same commit still matches), folders by the names in them,
 * large files (the data cache, the Python binary) by identity, size and change time, which
 * moves whenever their content, name or mode does and cannot be set back without root. A
 * problem is never remembered: a failing check always runs again.
 */
export interface PreflightPasses {
  /** Whether a pass for this exact check is on record and nothing it rested on has changed. */
  reusable(key: string): boolean;
  /** Records a pass; skipped when an input changed so recently that a later change could keep its time stamps. */
  remember(key: string, inputs: readonly string[], checkStartedMs: number): void;
}

const FORMAT = 2;
/** Files up to this size are known by their content; larger ones by their identity and times. */
const CONTENT_BYTES = 1 << 20;
const MAX_ENTRIES = 256;
const MAX_FILE_BYTES = 4 << 20;
/** Change times this close to the check cannot tell a change made during it from one made before. */
const RACY_MS = 2000;

interface Stored {
  format: number;
  passes: Record<string, { at: string; inputs: Record<string, string> }>;
}

/** The identity of a path as the kernel keeps it (links: the link and where it points), or "absent". */
function identity(path: string): string {
  try {
    const l = lstatSync(path, { bigint: true });
    const own = `${l.dev}:${l.ino}:${l.mode}:${l.uid}:${l.size}:${l.mtimeNs}:${l.ctimeNs}`;
    if (!l.isSymbolicLink()) return own;
    const t = statSync(path, { bigint: true });
    return `${own}->${t.dev}:${t.ino}:${t.mode}:${t.uid}:${t.size}:${t.mtimeNs}:${t.ctimeNs}`;
  } catch {
    return 'absent';
  }
}

/** What a pass rests on, per path: see PreflightPasses. */
function signature(path: string): string {
  try {
    const l = lstatSync(path);
    if (l.isDirectory()) return `dir:${l.mode}:${l.uid}:${sha256(readdirSync(path).sort().join('\0'))}`;
    if (l.isFile() && l.size <= CONTENT_BYTES) {
      const read = readBounded(path, CONTENT_BYTES + 1);
      if (read && !read.truncated) return `file:${read.mode}:${read.uid}:${sha256(read.bytes)}`;
    }
  } catch {
    // Gone or unreadable: its identity says so.
  }
  return identity(path);
}

const changedSince = (path: string, ms: number): boolean => {
  try {
    const own = lstatSync(path, { bigint: true });
    const target = own.isSymbolicLink() ? statSync(path, { bigint: true }) : own;
    return Number(own.ctimeNs / 1_000_000n) > ms || Number(target.ctimeNs / 1_000_000n) > ms;
  } catch {
    return false;
  }
};

/**
 * Reads the record only when this user wrote it and nobody else can: otherwise anyone who
 * could write it could make a broken evaluator look checked.
 */
function load(file: string): Stored {
  const empty: Stored = { format: FORMAT, passes: {} };
  const read = readBounded(file, MAX_FILE_BYTES);
  if (!read || read.truncated || read.uid !== (process.getuid?.() ?? -1) || (read.mode & 0o022) !== 0) return empty;
  try {
    const parsed = JSON.parse(read.bytes.toString('utf8')) as Partial<Stored>;
    return parsed.format === FORMAT && parsed.passes && typeof parsed.passes === 'object'
      ? { format: FORMAT, passes: parsed.passes }
      : empty;
  } catch {
    return empty;
  }
}

/** The record in `file` (created with the folder, private to this user, when a pass is first remembered). */
export function preflightPasses(file: string, opts: { racyMs?: number } = {}): PreflightPasses {
  const racyMs = opts.racyMs ?? RACY_MS;
  return {
    reusable(key) {
      const entry = load(file).passes[key];
      if (!entry || typeof entry.inputs !== 'object') return false;
      const paths = Object.keys(entry.inputs);
      return paths.length > 0 && paths.every((p) => signature(p) === entry.inputs[p]);
    },
    remember(key, inputs, checkStartedMs) {
      if (inputs.length === 0 || inputs.some((p) => changedSince(p, checkStartedMs - racyMs))) return;
      const tmp = `${file}.${process.pid}.${sha256(key).slice(0, 8)}`;
      try {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        // A folder others may write to could swap the record: nothing is kept there.
        const dir = statSync(dirname(file));
        if (dir.uid !== (process.getuid?.() ?? -1) || (dir.mode & 0o022) !== 0) return;
        const stored = load(file);
        stored.passes[key] = { at: new Date().toISOString(), inputs: Object.fromEntries(inputs.map((p) => [p, signature(p)])) };
        const keys = Object.keys(stored.passes).sort((a, b) =>
          String(stored.passes[a]?.at).localeCompare(String(stored.passes[b]?.at)),
        );
        for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete stored.passes[old];
        // Written whole beside it and renamed: cells running at once never read half a file.
        writeFileSync(tmp, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
        renameSync(tmp, file);
      } catch {
        // Nothing remembered: the next cell runs the check again.
        rmSync(tmp, { force: true });
      }
    },
  };
}

/** Where the passes are kept: PTB_CACHE_DIR, else the checkout's node_modules/.cache/ptb (as the CLI's own cache). */
export function preflightPassesFile(repo: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.PTB_CACHE_DIR || join(repo, 'node_modules', '.cache', 'ptb'), 'evaluator-preflight.json');
}
