import type { Hash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `ptb validate` over the whole repository is a pure function of the files it reads, the code
// that reads them and the output format. Run again with none of them changed (a pre-commit
// hook, an editor's save), it replays the answer it gave instead of loading the parsers and
// schemas again: content hashes decide, never modification times. Nothing here is trusted by
// the pipeline, which validates in its own action; under CI (`CI` set) the cache is off.

/** What one run printed, in order, and how it ended. */
export interface RecordedRun {
  exit: number;
  lines: Array<['out' | 'err', string]>;
}

const FORMAT_VERSION = 1;
// Loaded when a key is made: `--no-cache` and named paths never need the crypto module.
const createHash = (algorithm: string): Hash =>
  (process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).createHash(algorithm);
const here = fileURLToPath(new URL('.', import.meta.url));
const repoOfCode = join(here, '..', '..');
/** The code whose behaviour the answer depends on. */
const CODE = [
  join(repoOfCode, 'actions', 'core', 'src'),
  join(here, 'commands', 'validate.ts'),
  join(here, 'validate-run.ts'),
  join(here, 'validate-cache.ts'),
];
const PARSERS = ['zod', 'yaml', 'js-yaml'];

/**
 * Hashes every entry under `path`: names, kinds, link targets and file contents, in a stable
 * order. Walks iteratively and never follows links, so no tree can make it loop or overflow.
 */
function hashTree(hash: Hash, path: string): void {
  const stack = [path];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const full = join(current, e.name);
      if (e.isDirectory()) {
        hash.update(`d\0${full}\0`);
        stack.push(full);
      } else if (e.isFile()) {
        const bytes = readFileSync(full);
        hash.update(`f\0${full}\0${bytes.length}\0`);
        hash.update(bytes);
      } else if (e.isSymbolicLink()) hash.update(`l\0${full}\0${readlinkSync(full)}\0`);
      else hash.update(`o\0${full}\0`);
    }
  }
}

function hashPath(hash: Hash, path: string): void {
  if (!existsSync(path)) {
    hash.update(`-\0${path}\0`);
    return;
  }
  if (path.endsWith('.ts')) {
    hash.update(`f\0${path}\0`);
    hash.update(readFileSync(path));
  } else hashTree(hash, path);
}

/**
 * The key of a whole-repository validation, or undefined where no answer may be reused: under
 * CI, or when this copy of ptb has no source tree beside it (a single-file bundle).
 */
export function validationKey(root: string, definitionsDir: string, format: string): string | undefined {
  if (process.env.CI) return undefined;
  if (!existsSync(CODE[0] as string)) return undefined;
  try {
    const hash = createHash('sha256');
    hash.update(`ptb-validate\0${FORMAT_VERSION}\0${process.version}\0${format}\0${root}\0`);
    for (const name of PARSERS) {
      const manifest = join(repoOfCode, 'node_modules', name, 'package.json');
      hash.update(`${name}\0${existsSync(manifest) ? readFileSync(manifest) : '-'}\0`);
    }
    for (const path of CODE) hashPath(hash, path);
    hash.update('definitions\0');
    hashTree(hash, definitionsDir);
    hash.update('submissions\0');
    hashTree(hash, join(root, 'submissions'));
    return hash.digest('hex');
  } catch {
    // Something unreadable: the validation itself will say what; nothing is reused.
    return undefined;
  }
}

// PTB_VALIDATE_CACHE_DIR moves it (the tests keep theirs in a folder they remove).
const cacheDir = () => process.env.PTB_VALIDATE_CACHE_DIR ?? join(repoOfCode, 'node_modules', '.cache', 'ptb', 'validate');
const entryFile = (root: string) => join(cacheDir(), `${createHash('sha256').update(root).digest('hex').slice(0, 16)}.json`);

/** The answer recorded under `key` for this root, if it is still the last one. */
export function readRecordedRun(root: string, key: string): RecordedRun | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryFile(root), 'utf8')) as { key?: unknown; run?: RecordedRun };
    const run = entry.run;
    if (entry.key !== key || !run || typeof run.exit !== 'number' || !Array.isArray(run.lines)) return undefined;
    return run;
  } catch {
    return undefined;
  }
}

/** Keeps the answer for this root (one entry per root: the last run). Best effort: a read-only cache is fine. */
export function recordRun(root: string, key: string, run: RecordedRun): void {
  try {
    mkdirSync(cacheDir(), { recursive: true });
    const file = entryFile(root);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ key, run }));
    renameSync(temporary, file);
  } catch {
    // No cache this time.
  }
}
