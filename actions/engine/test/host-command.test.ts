/** Host commands run without blocking the harness, and PATH lookups answer what `command -v` would. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { onPath, runCommand } from '../src/host-command.ts';
import { cleanupTempDirs, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

describe('runCommand', () => {
  test('the status, both streams, and no error for a command that ran', async () => {
    const r = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 4']);
    expect(r).toEqual({ status: 4, stdout: 'out\n', stderr: 'err\n' });
  });
  test('a command that is not there: no status, and the reason', async () => {
    const r = await runCommand('ptb-no-such-command', []);
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/ENOENT/);
  });
  test('a command past its time limit is killed and says so', async () => {
    const r = await runCommand('sleep', ['30'], { timeoutMs: 100 });
    expect(r.status).toBeNull();
    expect(r.error).toBeTruthy();
  });
  test('other work goes on while it runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await runCommand('sh', ['-c', 'sleep 0.3']);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('onPath', () => {
  test('finds an executable file on PATH, and nothing else of that name', () => {
    const dir = tempDir('path');
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool'), 0o755);
    writeFileSync(join(dir, 'plain'), 'not executable');
    chmodSync(join(dir, 'plain'), 0o644);
    mkdirSync(join(dir, 'folder'));
    expect(onPath('tool', `/nonexistent:${dir}`)).toBe(true);
    expect(onPath('folder', dir)).toBe(false);
    // Not even root may run a file without an execute bit.
    expect(onPath('plain', dir)).toBe(false);
    expect(onPath('absent', dir)).toBe(false);
    expect(onPath(join(dir, 'tool'), '')).toBe(true);
    expect(onPath('sh')).toBe(true);
  });
});
