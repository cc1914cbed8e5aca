/**
 * What the sandbox user may do is asked as that user, in one process: make a user namespace,
 * read every file of the folders bound into the sandbox. And the harness hands the folders it
 * made for the sandbox to that user without following a link out of them.
 */
import { chmodSync, lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { giveTo, sandboxAccessProblems } from '../src/sandbox/identity.ts';
import { AS_ROOT } from './adversarial/support.ts';
import { cleanupTempDirs, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

const USER = AS_ROOT ? { uid: 64123, gid: 64123 } : null;

/** A folder the sandbox user may read whole, and one with a file only its owner may read. */
function folders() {
  const open = tempDir('open folder');
  mkdirSync(join(open, 'sub'));
  writeFileSync(join(open, 'sub', 'a.json'), '{}', { mode: 0o644 });
  const closed = tempDir('closed');
  writeFileSync(join(closed, 'weights.bin'), 'x');
  chmodSync(join(closed, 'weights.bin'), 0o600);
  for (const d of [open, join(open, 'sub'), closed]) chmodSync(d, 0o755);
  return { open, closed };
}

describe('sandboxAccessProblems', () => {
  test('a readable folder (with a space in its name) and a user namespace: no problem', async () => {
    const { open } = folders();
    const found = await sandboxAccessProblems(USER, {
      probeUserNamespace: true,
      folders: [{ dir: open, deep: true }],
      setpriv: true,
    });
    expect(found).toEqual([]);
  });

  test('bwrap cannot make a user namespace: its own message comes back', async () => {
    const bin = tempDir('bin');
    writeFileSync(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n');
    chmodSync(join(bin, 'bwrap'), 0o755);
    chmodSync(bin, 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const found = await sandboxAccessProblems(USER, { probeUserNamespace: true, folders: [], setpriv: true });
      expect(found).toEqual([{ kind: 'userns', message: 'bwrap: No permissions to create new namespace' }]);
    } finally {
      process.env.PATH = path;
    }
  });

  test('a folder that is not there is itself out of reach', async () => {
    const missing = join(tempDir('gone'), 'not-there');
    const found = await sandboxAccessProblems(USER, {
      probeUserNamespace: false,
      folders: [{ dir: missing, deep: false }],
      setpriv: true,
    });
    expect(found).toEqual([{ kind: 'unreadable', dir: missing, blocked: missing }]);
  });

  test.runIf(AS_ROOT)(
    'a file only its owner (root) may read: named, under its folder; checked at the top only, the folder passes',
    async () => {
      const { open, closed } = folders();
      const found = await sandboxAccessProblems(USER, {
        probeUserNamespace: false,
        folders: [
          { dir: open, deep: true },
          { dir: closed, deep: true },
          { dir: closed, deep: false },
        ],
        setpriv: true,
      });
      expect(found).toEqual([{ kind: 'unreadable', dir: closed, blocked: join(closed, 'weights.bin') }]);
    },
  );
});

describe.runIf(AS_ROOT)('giveTo', () => {
  test('the whole tree is the sandbox user’s; a link is changed itself, never what it points to', () => {
    const outside = join(tempDir('host'), 'host-file');
    writeFileSync(outside, 'host');
    const dir = tempDir('workspace');
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'f'), 'x');
    symlinkSync(outside, join(dir, 'a', 'link'));
    giveTo(USER, dir);
    for (const p of [dir, join(dir, 'a'), join(dir, 'a', 'b'), join(dir, 'a', 'b', 'f'), join(dir, 'a', 'link')])
      expect(lstatSync(p).uid).toBe(USER?.uid);
    expect(statSync(outside).uid).toBe(0);
  });
  test('a folder that cannot be handed over says which', () => {
    expect(() => giveTo(USER, join(tempDir('x'), 'missing'))).toThrow(/cannot hand .*missing to the sandbox user 64123/);
  });
});
