/**
 * The services of a cell (credential proxy, evaluation service, squid) start while its
 * workspace is built, and the agent does not wait for squid to listen. A failure anywhere
 * must still stop everything that did start, and a service that fails under the agent makes
 * the run the harness's error.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { PreflightError } from '../src/preflight.ts';
import { AS_ROOT, processesMentioning } from './adversarial/support.ts';
import { cleanupTempDirs, modelCacheWithUnreadableWeights, runScriptCell, tempDir } from './helpers.ts';

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

const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[1]?.startsWith(dir));

describe('the preflight checks run beside the setup, and still decide', () => {
  test.runIf(AS_ROOT)(
    'the sandbox user cannot read the base model (found while the services start): a preflight error, and squid, the proxies and the workspace filesystem are gone',
    async () => {
      let scratch = '';
      const run = runScriptCell('echo never', {
        modelCacheDir: modelCacheWithUnreadableWeights(),
        onScratch: (dir) => {
          scratch = dir;
        },
      });
      await expect(run).rejects.toBeInstanceOf(PreflightError);
      await expect(run).rejects.toThrow(/cannot read .*model\.safetensors/);
      // The workspace was made while the check ran; it is unmounted and removed with the rest.
      expect(scratch).not.toBe('');
      for (let i = 0; i < 20; i++) {
        expect(processesMentioning(scratch)).toEqual([]);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(mountsUnder(scratch)).toEqual([]);
    },
  );

  test('a problem of the request and one of the machine at once: the machine is reported (the runner is at fault, the cell is retried)', async () => {
    const empty = tempDir('empty-cache');
    // docker without pinned images is the submission's input problem; the missing base model is the machine's.
    const run = runScriptCell('echo never', { modelCacheDir: empty, runtime: 'docker' });
    await expect(run).rejects.toBeInstanceOf(PreflightError);
    await expect(run).rejects.toThrow(/base model not in the cache/);
  });
});

describe('the order the setup keeps, whatever overlaps', () => {
  test('the agent starts after every check answered and everything it uses is up; logs/harness-marks.json says when each was done', async () => {
    // No model left: the cell is scored as missing, but every phase ran.
    const run = await runScriptCell('echo started');
    expect(run.result.status).toBe('missing');
    const marks = JSON.parse(readFileSync(join(run.outDir, 'logs', 'harness-marks.json'), 'utf8')) as {
      name: string;
      afterMs: number;
    }[];
    const at = (name: string) => {
      const m = marks.find((x) => x.name === name);
      expect(m, name).toBeDefined();
      return m?.afterMs ?? Number.NaN;
    };
    const before = [
      'preflight-machine',
      'preflight-evaluator',
      'preflight-sandbox',
      'workspace-filesystem',
      'workspace-built',
      'services-up',
      'limits-set',
    ];
    for (const name of before) expect(at(name), name).toBeLessThanOrEqual(at('agent-start'));
    expect(at('agent-start')).toBeLessThanOrEqual(at('result-written'));
    expect(marks[0]).toEqual({ name: 'job-start', afterMs: 0 });
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

describe('a cancellation that reaches the harness after the agent', () => {
  test('the runner signal ended the agent first and the harness hears it while the cell ends: recorded as cancelled, never missing or penalised', async () => {
    const cancel = new AbortController();
    const run = await runScriptCell('echo started', {
      signal: cancel.signal,
      // The agent is gone and the final model collected when the harness learns of the cancellation.
      onMark: (name) => {
        if (name === 'final-model-collected') cancel.abort();
      },
    });
    expect([run.result.status, run.result.errorSource, run.result.score]).toEqual(['error', 'fleet', null]);
    expect(run.result.statusDetail).toMatch(/the run was cancelled in its \w+ phase/);
  });
});
