/**
 * The services of a cell (credential proxy, evaluation service, squid) start while its
 * workspace is built. A failure on either side must still stop everything that did start:
 * nothing of the cell may outlive it.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { processesMentioning } from './adversarial/support.ts';
import { cleanupTempDirs, runScriptCell } from './helpers.ts';

afterAll(cleanupTempDirs);

describe('a cell that fails while its services start', () => {
  test('the workspace cannot be built: the error says why, and squid and the proxies are gone', async () => {
    const shmBefore = new Set(readdirSync('/dev/shm'));
    let scratch = '';
    const run = runScriptCell('echo never', {
      onScratch: (dir, ws) => {
        scratch = dir;
        // TASK.md as a folder: writing the task fails after the services were started.
        mkdirSync(join(ws, 'TASK.md'), { recursive: true });
      },
    });
    await expect(run).rejects.toThrow(/TASK\.md|EISDIR/);
    expect(scratch).not.toBe('');
    // A service still on its way up when the cell gave up would appear after the rejection:
    // watch for a while (a correct harness never has one, however slow the machine).
    for (let i = 0; i < 30; i++) {
      expect(processesMentioning(scratch)).toEqual([]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readdirSync('/dev/shm').filter((n) => !shmBefore.has(n) && n.startsWith('ptb'))).toEqual([]);
  });
});
