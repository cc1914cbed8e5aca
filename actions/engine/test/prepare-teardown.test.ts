/**
 * The services of a cell (credential proxy, evaluation service, squid) start while its
 * workspace is built, and the agent does not wait for squid to listen. A failure anywhere
 * must still stop everything that did start, and a service that fails under the agent makes
 * the run the harness's error.
 */
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { processesMentioning } from './adversarial/support.ts';
import { cleanupTempDirs, runScriptCell, tempDir } from './helpers.ts';

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

describe('squid is not waited for before the agent starts', () => {
  test('a squid that never listens stops the agent at once and makes the run the harness error, never the agent failure', async () => {
    // A squid that dies at start-up, first on PATH for this cell only.
    const bin = tempDir('broken-squid');
    writeFileSync(join(bin, 'squid'), '#!/bin/sh\necho "FATAL: this squid cannot start" >&2\nexit 1\n');
    chmodSync(join(bin, 'squid'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    let scratch = '';
    try {
      const run = await runScriptCell('echo started; sleep 30; echo finished', {
        budgetSeconds: 60,
        onScratch: (dir) => {
          scratch = dir;
        },
      });
      expect(run.result.status).toBe('error');
      expect(run.result.errorSource).toBe('harness');
      expect(run.result.statusDetail).toMatch(/egress proxy did not start: squid exited \(1\) before listening/);
      // Stopped when squid failed, not at the end of its 30 s.
      expect(run.traceText.join('\n')).not.toContain('finished');
    } finally {
      process.env.PATH = path;
    }
    expect(processesMentioning(scratch)).toEqual([]);
  });
});
