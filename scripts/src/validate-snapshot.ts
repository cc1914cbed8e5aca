/**
 * `ptb validate` started from a V8 start-up snapshot: the heap as it is once the command,
 * the parsers and the schemas are loaded (and the results parser compiled), saved by
 * `scripts/bin/validate-snapshot.mjs` and restored by `node --snapshot-blob`. That skips most
 * of a start: finding, reading and linking some sixty modules and building every schema.
 *
 * Everything here runs when the snapshot is built, except the function handed to
 * setDeserializeMainFunction, which runs at each start. That function first checks that the
 * snapshot still matches the code (a hash of every source file it was made from) and that
 * nothing it captured at build time is overridden now (PTB_DEFINITIONS_DIR); otherwise the
 * process becomes the regular `ptb` at once, and that rebuilds the snapshot.
 */
import { startupSnapshot } from 'node:v8';
import '@ptb/core/files';
import { resultsParser } from '@ptb/core/validation';
// @ts-expect-error: plain JavaScript shared with the launcher, no types
import { snapshotKey } from '../bin/validate-snapshot-key.mjs';
import { runCommandLine } from './cli-kit.ts';
import { command } from './commands/validate.ts';
import { processIo } from './process-io.ts';
import './validate-run.ts';

interface SnapshotManifest {
  key: string;
  files: string[];
  launcher: string;
}

const manifest = JSON.parse(process.env.PTB_SNAPSHOT_MANIFEST ?? 'null') as SnapshotManifest | null;
if (!manifest) throw new Error('PTB_SNAPSHOT_MANIFEST is not set: build this snapshot with scripts/bin/validate-snapshot.mjs');
resultsParser();

startupSnapshot.setDeserializeMainFunction(async () => {
  // argv: [node, 'validate', ...arguments]
  const argv = process.argv.slice(1);
  if (process.env.PTB_DEFINITIONS_DIR !== undefined || (snapshotKey(manifest.files) as string) !== manifest.key) {
    // Never answers from outdated code: this process becomes the regular start (same pid).
    process.execve?.(process.execPath, [process.execPath, manifest.launcher, ...argv], process.env);
    process.stderr.write('ptb: this snapshot is out of date and this Node cannot hand over; run `node scripts/bin/ptb.mjs`\n');
    process.exit(3);
  }
  if (process.env.PTB_DEBUG) process.stderr.write('ptb: started from the validate snapshot\n');
  const io = processIo();
  process.exitCode = await runCommandLine('validate', command, argv.slice(1), io);
  io.close?.();
});
