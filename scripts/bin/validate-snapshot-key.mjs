// What a `ptb validate` start-up snapshot was made from: the Node that runs it and every
// source file it bundles (their paths and bytes). Shared by the snapshot, which checks it at
// each start, and by its builder. A file that cannot be read gives a key no snapshot has.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function snapshotKey(files) {
  const hash = createHash('sha256').update(`${process.version}\0${process.execPath}\0`);
  for (const file of files) {
    hash.update(`${file}\0`);
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('\0missing\0');
    }
  }
  return hash.digest('hex');
}
