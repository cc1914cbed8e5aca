import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Where ptb finds its data. Only node built-ins here: a command that needs a path (ptb
// validate, before it knows whether its cached answer still holds) loads no parser for it.

/**
 * Where the versioned benchmark definitions live (data, shipped with this package).
 * PTB_DEFINITIONS_DIR points elsewhere, e.g. for a single-file bundle of `ptb` whose own
 * location says nothing about where the repository is.
 */
export const DEFINITIONS_DIR = process.env.PTB_DEFINITIONS_DIR ?? fileURLToPath(new URL('../../definitions/', import.meta.url));

/** The environment does not let ptb find its data: says which variable to set. */
export class SetupError extends Error {
  override name = 'SetupError';
}

export function requireDefinitionsDir(dir: string): void {
  if (existsSync(dir)) return;
  throw new SetupError(
    process.env.PTB_DEFINITIONS_DIR
      ? `PTB_DEFINITIONS_DIR is ${dir}, which does not exist; point it at the repository's actions/core/definitions folder`
      : `no benchmark definitions folder at ${dir} (a single-file bundle such as dist/ptb.mjs has none beside it): set PTB_DEFINITIONS_DIR to the repository's actions/core/definitions folder`,
  );
}

export function listDefinitionVersions(dir = DEFINITIONS_DIR): string[] {
  requireDefinitionsDir(dir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** The repository root: the nearest folder above `from` with a submissions/ folder and a package.json. */
export function findRepoRoot(from = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'submissions')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no submissions/ folder found in ${from} or above; run ptb inside the repository`);
    dir = parent;
  }
}
