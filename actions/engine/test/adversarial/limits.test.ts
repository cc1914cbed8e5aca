import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { PreflightError } from '../../src/preflight.ts';
import { createCgroup, unenforced } from '../../src/sandbox/cgroup.ts';
import { cleanupTempDirs, HONEST_MODEL, modelCacheWithUnreadableWeights, runScriptCell, tempDir } from '../helpers.ts';
import { AS_ROOT, attack, T } from './support.ts';

afterAll(cleanupTempDirs);

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['PTB_CGROUP_PARENT', 'PTB_SCRATCH_DIR', 'PTB_UNENFORCED_LIMITS', 'PTB_MIN_FREE_DISK_GB'])
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
});

// Threat model: "Exhaust the machine" — a limit that silently does nothing is the hole.
describe('a limit that cannot be enforced stops the cell before the agent starts', () => {
  test('a host without the memory controller: the pids limit holds, the memory limit is reported as not enforced', () => {
    // A cgroup v1 layout with only the pids hierarchy mounted.
    const root = tempDir('fake-cgroup');
    mkdirSync(join(root, 'pids'));
    writeFileSync(join(root, 'pids', 'cgroup.procs'), '');
    const cg = createCgroup('x', { pids: 100, memoryBytes: 2 ** 30 }, root, '');
    expect(cg?.enforced).toEqual({ pids: 100 });
    expect(unenforced({ pids: 100, memoryBytes: 2 ** 30 }, cg)).toEqual(['memory (1.0 GiB)']);
    cg?.remove();
    // No hierarchy at all: nothing is enforced.
    expect(unenforced({ pids: 100, memoryBytes: 2 ** 30 }, createCgroup('y', { pids: 100 }, tempDir('none'), ''))).toEqual([
      'pids (100)',
      'memory (1.0 GiB)',
    ]);
  });

  test(
    'no usable cgroup (a parent that is not delegated): preflight fails, naming the limits and the fix; nothing runs',
    async () => {
      process.env.PTB_CGROUP_PARENT = 'ptb-no-such-delegated-parent/child';
      const marker = join(tempDir('never'), 'ran');
      await expect(runScriptCell(`touch ${marker}`)).rejects.toThrow(PreflightError);
      await expect(runScriptCell(`touch ${marker}`)).rejects.toThrow(/pids \(512\), memory \(4\.0 GiB\).*PTB_CGROUP_PARENT/);
    },
    T,
  );

  test(
    'a scratch folder on a filesystem larger than the disk limit: preflight fails with the fix',
    async () => {
      process.env.PTB_SCRATCH_DIR = tempDir('big-scratch');
      process.env.PTB_MIN_FREE_DISK_GB = '0.01';
      await expect(runScriptCell(HONEST_MODEL, { limits: { diskBytes: 2 ** 20 } })).rejects.toThrow(
        /larger than the cell's disk limit of 0\.0 GiB: give each GPU a volume of at most that size/,
      );
    },
    T,
  );

  test(
    'an operator who accepts unenforced limits on a development machine gets a run, and the result says so',
    async () => {
      process.env.PTB_CGROUP_PARENT = 'ptb-no-such-delegated-parent/child';
      process.env.PTB_SCRATCH_DIR = tempDir('big-scratch');
      process.env.PTB_MIN_FREE_DISK_GB = '0.01';
      process.env.PTB_UNENFORCED_LIMITS = 'pids,memory,cpu,disk';
      const { result } = await attack(HONEST_MODEL, { limits: { diskBytes: 2 ** 20 } });
      expect(result.status).toBe('scored');
      const warnings = result.integrity.filter((f) => f.check === 'harness').map((f) => f.summary);
      expect(warnings.join('\n')).toMatch(
        /limits not enforced on this machine \(accepted by the operator\): pids \(512\), memory/,
      );
      expect(warnings.join('\n')).toMatch(/limits not enforced on this machine \(accepted by the operator\): disk/);
    },
    T,
  );
});

describe('a runner whose files the sandbox user cannot read is refused before the agent starts', () => {
  test(
    'a base model with a weights file of mode 0600 (as transformers writes them): preflight names the file and the fix',
    async () => {
      const run = runScriptCell(HONEST_MODEL, { modelCacheDir: modelCacheWithUnreadableWeights() });
      if (AS_ROOT)
        // The harness (root) made the file; the sandbox's own uid could not read it.
        await expect(run).rejects.toThrow(/cannot read .*model\.safetensors .*chmod -R o\+rX/);
      // An unprivileged harness runs the sandbox as itself: its own files are readable there.
      else expect((await run).result.status).toBe('scored');
    },
    T,
  );
});
