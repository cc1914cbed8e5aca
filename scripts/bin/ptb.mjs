#!/usr/bin/env node
// The `ptb` executable. The command line is TypeScript for Node 24 (the project's own Node,
// installed by `npm ci` as the `node` dev dependency). Under Node 24 it runs in this process;
// under an older Node (say a system Node 20 on PATH) it hands over to the project's Node 24.
// Plain JavaScript that any Node since 14 parses, so the hand-over itself never fails.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '..', 'src', 'ptb.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major === 24) {
  const root = join(here, '..', '..');
  const cache = process.env.PTB_CACHE_DIR ?? join(root, 'node_modules', '.cache', 'ptb');
  const { enableCompileCache } = await import('node:module');
  // Compiled code is cached inside the repository (never in the shared temp folder): a second
  // start skips type stripping and parsing, about half the start-up time.
  enableCompileCache(join(cache, 'compile'));
  const { serveSingleFileDeps } = await import('./single-file-deps.mjs');
  await serveSingleFileDeps(cache);
  await import(entry);
  // `ptb validate` starts from a snapshot where there is one for this code (scripts/bin/ptb):
  // after a change, the answer comes first and the snapshot is made again after it. Not
  // under CI, whose runs start from nothing and never start twice.
  if (process.argv[2] === 'validate' && !process.env.CI && process.env.PTB_DEFINITIONS_DIR === undefined) {
    const { realpathSync } = await import('node:fs');
    const projectNode = join(root, 'node_modules', 'node', 'bin', 'node');
    const { buildValidateSnapshot, snapshotFresh } = await import('./validate-snapshot.mjs');
    const projectNodeRuns = existsSync(projectNode) && realpathSync(projectNode) === realpathSync(process.execPath);
    // PTB_SNAPSHOT_UNUSABLE: the launcher found that this Node could not load the snapshot.
    if (projectNodeRuns && (process.env.PTB_SNAPSHOT_UNUSABLE === '1' || !snapshotFresh(cache)))
      await buildValidateSnapshot({ root, cacheDir: cache, launcher: fileURLToPath(import.meta.url) });
  }
} else {
  // Only here: child_process and the module resolver are not worth loading for a start under Node 24.
  const { spawn } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  let projectNode;
  try {
    projectNode = join(dirname(createRequire(import.meta.url).resolve('node/package.json')), 'bin', 'node');
  } catch {}
  if (!projectNode || !existsSync(projectNode)) {
    process.stderr.write(
      `ptb needs Node 24 (this is Node ${process.versions.node}) and the project's own Node 24 is not installed: run \`npm ci\` in the repository, or use Node 24\n`,
    );
    process.exit(3);
  }
  const child = spawn(projectNode, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches both processes; the child decides what it means. Signals sent
  // to this process alone (a supervisor's SIGTERM) are passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (e) => {
    process.stderr.write(`ptb: could not start ${projectNode}: ${e.message}\n`);
    process.exit(3);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 3);
  });
}
