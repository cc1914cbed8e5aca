/**
 * The final model's snapshot once its writer is gone (`linkQuiet`): the agent's files are
 * linked, taken over by the harness and made read-only instead of copied; a file that cannot
 * be linked is copied. The copying snapshot's defences are probed by adversarial/verifier.test.ts.
 */
import { chmodSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { snapshotTree } from '../src/snapshot.ts';
import { cleanupTempDirs, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

const AS_ROOT = process.getuid?.() === 0;

function agentTree(): string {
  const src = join(tempDir('agent-fs'), 'final_model');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'weights.bin'), Buffer.alloc(4096, 7));
  chmodSync(join(src, 'weights.bin'), 0o4777);
  writeFileSync(join(src, 'sub', 'config.json'), '{}');
  symlinkSync('../weights.bin', join(src, 'sub', 'alias.bin'));
  return src;
}

describe('the final snapshot links what nobody writes any more', () => {
  test.runIf(AS_ROOT)(
    'each file is the agent file itself, now the harness’s and read-only; a link inside the tree is its target',
    () => {
      const src = agentTree();
      const dest = join(src, '..', 'snapshot');
      const snap = snapshotTree(src, dest, undefined, { linkQuiet: true });
      expect(snap).toMatchObject({ kind: 'copied', files: 3, bytes: 4096 * 2 + 2, problems: [] });
      for (const [rel, from] of [
        ['weights.bin', 'weights.bin'],
        ['sub/config.json', 'sub/config.json'],
        ['sub/alias.bin', 'weights.bin'],
      ] as const) {
        const made = statSync(join(dest, rel));
        expect(made.ino, rel).toBe(statSync(join(src, from)).ino);
        expect(made.uid, rel).toBe(0);
        // No setuid, no write for anyone but the harness, whatever mode the agent gave it.
        expect(made.mode & 0o7777, rel).toBe(0o644);
      }
    },
  );

  test('on another filesystem (no link possible) the files are copied, with the same result', () => {
    const src = agentTree();
    const dest = join('/dev/shm', `ptb-snapshot-test-${process.pid}`);
    try {
      const snap = snapshotTree(src, dest, undefined, { linkQuiet: true });
      expect(snap).toMatchObject({ kind: 'copied', files: 3, problems: [] });
      expect(statSync(join(dest, 'weights.bin')).ino).not.toBe(statSync(join(src, 'weights.bin')).ino);
      expect(statSync(join(dest, 'weights.bin')).mode & 0o7777).toBe(0o644);
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });
});
