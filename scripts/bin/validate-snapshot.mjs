// Builds the start-up snapshot of `ptb validate` (scripts/src/validate-snapshot.ts) into the
// cache folder, when it is missing or its sources changed: an esbuild bundle of the command
// (one CommonJS file, as `node --build-snapshot` needs), then the snapshot made from it by
// the project's own Node, the only Node that starts it (scripts/bin/ptb). Written whole, then
// renamed, so a start never finds half a snapshot. Costs about a second, once per change of
// the code; any failure leaves no snapshot, and `ptb validate` starts the regular way.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { snapshotKey } from './validate-snapshot-key.mjs';

export const SNAPSHOT_BLOB = 'validate.blob';
const MANIFEST = 'validate-snapshot.json';

/** Whether the snapshot in `cacheDir` is whole and was made from the code as it is now, by this Node. */
export function snapshotFresh(cacheDir) {
  try {
    const { key, files, bytes } = JSON.parse(readFileSync(join(cacheDir, MANIFEST), 'utf8'));
    return statSync(join(cacheDir, SNAPSHOT_BLOB)).size === bytes && snapshotKey(files) === key;
  } catch {
    return false;
  }
}

// In one bundle every module would share one import.meta.url: each gets its own file's URL,
// so the paths the code finds next to itself stay right.
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mjs|js)$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      };
    });
  },
};

/** Makes the snapshot (see above); returns whether one is there for this code afterwards. */
export async function buildValidateSnapshot({ root, cacheDir, launcher }) {
  mkdirSync(cacheDir, { recursive: true });
  const partial = (name) => join(cacheDir, `${name}.${process.pid}.partial`);
  const bundle = partial('validate-snapshot.cjs');
  try {
    const esbuild = createRequire(import.meta.url)('esbuild');
    const result = await esbuild.build({
      entryPoints: [join(root, 'scripts', 'src', 'validate-snapshot.ts')],
      absWorkingDir: root,
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      metafile: true,
      logLevel: 'silent',
      plugins: [ownImportMetaUrl],
    });
    // Dependencies change only with the lock file; every file of ours is hashed itself.
    const files = [
      ...Object.keys(result.metafile.inputs)
        .map((f) => resolve(root, f))
        .filter((f) => !f.includes('/node_modules/')),
      join(root, 'package-lock.json'),
    ].sort();
    const key = snapshotKey(files);
    const { PTB_DEFINITIONS_DIR: _captured, ...env } = process.env;
    const blob = partial(SNAPSHOT_BLOB);
    const made = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], {
      cwd: cacheDir,
      env: { ...env, PTB_SNAPSHOT_MANIFEST: JSON.stringify({ key, files, launcher }) },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (made.status !== 0) {
      rmSync(blob, { force: true });
      if (process.env.PTB_DEBUG) process.stderr.write(`ptb: no validate snapshot: ${made.stderr || made.error}\n`);
      return false;
    }
    const bytes = statSync(blob).size;
    renameSync(blob, join(cacheDir, SNAPSHOT_BLOB));
    writeFileSync(partial(MANIFEST), JSON.stringify({ key, files, bytes }));
    renameSync(partial(MANIFEST), join(cacheDir, MANIFEST));
    return true;
  } catch (e) {
    if (process.env.PTB_DEBUG) process.stderr.write(`ptb: no validate snapshot: ${e instanceof Error ? e.message : e}\n`);
    return false;
  } finally {
    rmSync(bundle, { force: true });
  }
}
