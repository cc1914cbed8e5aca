/**
 * The runner hooks run for real (bash, df, kill) against a controllable `nvidia-smi` on PATH:
 * no CI machine has a GPU, so the decisions are tested here and the whole hook again on the
 * GPU machine by the runner acceptance test (docs/runner-acceptance.md).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';

const HOOKS = fileURLToPath(new URL('../hooks/', import.meta.url));
const children: ChildProcess[] = [];
const folders: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake nvidia-smi that answers from files, so a test sets what the GPU reports. */
function machine(gpu: { apps?: string; used?: string; count?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-hook-'));
  folders.push(dir);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(dir, 'apps'), gpu.apps ?? '');
  writeFileSync(join(dir, 'used'), gpu.used ?? '3');
  writeFileSync(
    join(bin, 'nvidia-smi'),
    `#!/bin/sh
case "$*" in
  *query-gpu=index*) seq 0 $(( ${gpu.count ?? 1} - 1 )) ;;
  *query-compute-apps*) cat "${dir}/apps" ;;
  *memory.used*) cat "${dir}/used" ;;
esac
`,
  );
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  const work = join(dir, '_work');
  const cache = join(dir, 'models');
  mkdirSync(work);
  mkdirSync(cache);
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    PTB_WORK_DIR: work,
    PTB_MODEL_CACHE: cache,
    PTB_MIN_FREE_DISK_GB: '0',
    PTB_SCRATCH_DIR: join(dir, 'scratch'),
    PTB_KILL_GRACE_SECONDS: '1',
  };
  const hook = (name: string) => spawnSync('bash', [join(HOOKS, name)], { env, encoding: 'utf8', cwd: dir });
  return { dir, work, env, hook, setApps: (s: string) => writeFileSync(join(dir, 'apps'), s) };
}

describe('job-started', () => {
  test('an idle GPU with room passes', () => {
    const r = machine().hook('job-started.sh');
    expect(r.stdout).toMatch(/GPU runner ready: 1 GPU\(s\), 3 MiB in use/);
    expect(r.status).toBe(0);
  });

  test.each([
    ['another process on the GPU', { apps: '4242, python, 30000 MiB' }, /GPU busy with another process: 4242/],
    ['memory held without a process', { used: '20000' }, /GPU memory already in use: 20000 MiB/],
    ['no GPU', { count: 0 }, /no GPU visible/],
  ])('%s fails the job', (_name, gpu, message) => {
    const r = machine(gpu).hook('job-started.sh');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^::error title=GPU runner not ready::/m);
    expect(r.stdout).toMatch(message);
  });

  test('without nvidia-smi the job fails with the reason', () => {
    const m = machine();
    const r = spawnSync('bash', [join(HOOKS, 'job-started.sh')], {
      env: { ...m.env, PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
      cwd: m.dir,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/nvidia-smi not found/);
  });

  test('too little disk fails the job', () => {
    const m = machine();
    const r = spawnSync('bash', [join(HOOKS, 'job-started.sh')], {
      env: { ...m.env, PTB_MIN_FREE_DISK_GB: '999999999' },
      encoding: 'utf8',
      cwd: m.dir,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/GB free/);
  });

  test('a missing model cache fails the job', () => {
    const m = machine();
    const r = spawnSync('bash', [join(HOOKS, 'job-started.sh')], {
      env: { ...m.env, PTB_MODEL_CACHE: join(m.dir, 'nope') },
      encoding: 'utf8',
      cwd: m.dir,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/model cache .* is not mounted/);
  });
});

describe('job-completed', () => {
  test('ends the process left on the GPU, even one that ignores SIGTERM, and wipes the workspace', async () => {
    const m = machine();
    const stubborn = spawn('bash', ['-c', 'trap "" TERM; while true; do sleep 1; done'], { stdio: 'ignore' });
    children.push(stubborn);
    await new Promise((r) => setTimeout(r, 200));
    m.setApps(`${stubborn.pid}\n`);
    writeFileSync(join(m.work, 'final_model.bin'), 'x');
    mkdirSync(join(m.work, 'nested'));
    mkdirSync(join(m.dir, 'scratch'));
    // Once the process is gone the fake GPU reports nothing, as the real one would.
    const watcher = setInterval(() => {
      try {
        process.kill(stubborn.pid ?? 0, 0);
      } catch {
        m.setApps('');
      }
    }, 50);
    const r = await new Promise<{ status: number | null; out: string }>((done) => {
      const p = spawn('bash', [join(HOOKS, 'job-completed.sh')], { env: m.env, cwd: m.dir });
      let out = '';
      p.stdout.on('data', (d) => {
        out += String(d);
      });
      p.on('exit', (status) => done({ status, out }));
    });
    clearInterval(watcher);
    expect(r.out).toContain(`ending GPU process ${stubborn.pid}`);
    expect(r.status).toBe(0);
    expect(stubborn.exitCode !== null || stubborn.signalCode !== null).toBe(true);
    expect(readdirSync(m.work)).toEqual([]);
    expect(existsSync(join(m.dir, 'scratch'))).toBe(false);
  });

  test('a GPU that stays busy fails loudly', () => {
    const m = machine({ apps: '999999\n' });
    const r = m.hook('job-completed.sh');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/GPU not idle after cleanup/);
  });
});
