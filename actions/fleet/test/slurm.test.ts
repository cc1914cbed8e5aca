import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { batchScript, parseJobStatus, runOnSlurm, type SlurmJob, slurmCli } from '../src/slurm.ts';
import { type SlurmCluster, startSlurm } from './slurm-cluster.ts';

// One real cluster for the whole file: starting slurmctld and slurmd takes seconds.
let cluster: SlurmCluster;
beforeAll(async () => {
  cluster = await startSlurm();
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
});

const job = (over: Partial<SlurmJob>): SlurmJob => ({
  name: 'ptb-test',
  command: ['true'],
  workdir: '/srv/ptb',
  timeLimitMinutes: 5,
  gpus: 0,
  cpus: 1,
  memoryGB: 1,
  logFile: '/srv/ptb/ptb-slurm-%j.log',
  ...over,
});

describe('batch script (data)', () => {
  test('one GPU, the time limit, a TERM before the kill, the command quoted', () => {
    const s = batchScript(
      job({ gpus: 1, timeLimitMinutes: 630, command: ['ptb', 'run', '--benchmark', "it's"], partition: 'h100' }),
    );
    expect(s).toContain('#SBATCH --gres=gpu:1');
    expect(s).toContain('#SBATCH --time=10:30:00');
    expect(s).toContain('#SBATCH --signal=B:TERM@120');
    expect(s).toContain('#SBATCH --partition=h100');
    expect(s).toContain(`exec ptb run --benchmark 'it'\\''s'`);
  });

  test('scontrol states', () => {
    expect(parseJobStatus('7', 'JobId=7 JobName=x JobState=COMPLETED Reason=None ExitCode=0:0')).toEqual({
      id: '7',
      state: 'COMPLETED',
      exitCode: 0,
      done: true,
    });
    expect(parseJobStatus('7', 'JobId=7 JobState=RUNNING ExitCode=0:0').done).toBe(false);
    expect(parseJobStatus('7', 'JobId=7 JobState=TIMEOUT ExitCode=0:1').state).toBe('TIMEOUT');
  });
});

describe('a real single-node Slurm', () => {
  test('runs a job to completion and its output lands where asked', async () => {
    const dir = cluster.tempDir('job-');
    const status = await runOnSlurm(
      slurmCli(cluster.env),
      job({
        workdir: dir,
        logFile: join(dir, 'job.log'),
        command: ['sh', '-c', 'echo "{\\"ok\\":true}" > result.json; echo done'],
      }),
      join(dir, 'job.sh'),
      { pollMs: 200 },
    );
    expect(status.state).toBe('COMPLETED');
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'))).toEqual({ ok: true });
    expect(readFileSync(join(dir, 'job.log'), 'utf8')).toContain('done');
  }, 60_000);

  test('a failing command is reported as FAILED with its exit code', async () => {
    const dir = cluster.tempDir('job-');
    const status = await runOnSlurm(
      slurmCli(cluster.env),
      job({ workdir: dir, logFile: join(dir, 'job.log'), command: ['sh', '-c', 'exit 3'] }),
      join(dir, 'job.sh'),
      { pollMs: 200 },
    );
    expect(status.state).toBe('FAILED');
    expect(status.exitCode).toBe(3);
  }, 60_000);

  test('cancelling the workflow cancels the job and stops its process', async () => {
    const dir = cluster.tempDir('job-');
    const controller = new AbortController();
    const states: string[] = [];
    const pending = runOnSlurm(
      slurmCli(cluster.env),
      job({ workdir: dir, logFile: join(dir, 'job.log'), command: ['sh', '-c', 'echo $$ > pid; sleep 300'] }),
      join(dir, 'job.sh'),
      { pollMs: 200, signal: controller.signal, onState: (s) => states.push(s.state) },
    );
    for (let i = 0; i < 300 && !existsSync(join(dir, 'pid')); i++) await new Promise((r) => setTimeout(r, 100));
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    controller.abort();
    const status = await pending;
    expect(status.state).toBe('CANCELLED');
    expect(states.length).toBeGreaterThan(0);
    // Slurm sends TERM, then KILL after KillWait (5 s): give it all the time it needs.
    let alive = true;
    for (let i = 0; i < 600 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 60_000);
});

describe('a machine without DNS', () => {
  test('the test cluster runs a job with loopback only and a host name nothing resolves', async () => {
    for (const [tool, pkg] of [
      ['unshare', 'util-linux'],
      ['ip', 'iproute2'],
    ])
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
        throw new Error(`${tool} is missing: apt-get install ${pkg}`);
    // A network namespace has nothing but loopback; a UTS namespace lets the host name be one
    // that no /etc/hosts line and no DNS server knows.
    const script = fileURLToPath(new URL('./slurm-offline.ts', import.meta.url));
    const inside = `ip link set lo up && hostname ptb-no-dns-host && exec "${process.execPath}" "${script}"`;
    const child = spawn('unshare', ['--net', '--uts', 'sh', '-c', inside], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), 100_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code, err).toBe(0);
    expect(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')).toEqual({
      state: 'COMPLETED',
      exitCode: 0,
      host: 'ptb-no-dns-host',
    });
  }, 120_000);
});

describe('ptb slurm-run: a cell handed to a real Slurm, the engine inside the job', () => {
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  const bin = join(repo, 'node_modules', '.bin');
  const slurmRun = (args: string[], signalAfterMs?: number) =>
    new Promise<{ code: number | null; out: string; err: string }>((done) => {
      const p = spawn(join(bin, 'ptb'), ['slurm-run', ...args], {
        cwd: repo,
        env: { ...cluster.env, PATH: `${bin}:${process.env.PATH}` },
      });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => {
        out += String(d);
      });
      p.stderr.on('data', (d) => {
        err += String(d);
      });
      if (signalAfterMs !== undefined) setTimeout(() => p.kill('SIGTERM'), signalAfterMs);
      p.on('exit', (code) => done({ code, out, err }));
    });

  function agentScript(body: string): string {
    const dir = cluster.tempDir('agent-');
    writeFileSync(join(dir, 'agent.sh'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return join(dir, 'agent.sh');
  }
  const cellArgs = (out: string, script: string, budget: number) => [
    '--definition',
    'v0-ci',
    '--submission',
    'actions/engine/gpu-smoke/gpu-smoke-agent',
    '--base-model',
    'ptb-ci/adder-base',
    '--benchmark',
    'ci-add',
    '--seed',
    '1',
    '--model-cache',
    'actions/engine/test/fixtures/model-cache',
    '--agent',
    `script:${script}`,
    '--budget-seconds',
    String(budget),
    '--gpus',
    '0',
    '--cpus',
    '1',
    '--memory-gb',
    '1',
    '--poll-seconds',
    '0.2',
    '--out',
    out,
  ];

  test('the job runs `ptb run` in its sandbox and the result comes back', async () => {
    const out = cluster.tempDir('cell-');
    const script = agentScript(`cp /models/base/config.json /models/base/tokenizer.json final_model/
printf '{"program": "sum"}' > final_model/model.json`);
    const r = await slurmRun(cellArgs(out, script, 30));
    expect(r.err).toMatch(/slurm job \d+: (PENDING|RUNNING)/);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('scored');
    expect(result.score.value).toBe(1);
    expect(readFileSync(join(out, 'job.sh'), 'utf8')).toMatch(/#SBATCH --time=1:01:00/);
  }, 120_000);

  test('stopping the runner step cancels the job; the cell inside records the cancellation as an error, never a score', async () => {
    const out = cluster.tempDir('cell-');
    const r = await slurmRun(cellArgs(out, agentScript('sleep 120'), 300), 4000);
    expect(r.code).toBe(3);
    // Either the job was stopped before `ptb run` wrote anything, or `ptb run` caught the signal
    // and recorded an error of the fleet (retried, never penalised).
    if (existsSync(join(out, 'result.json'))) {
      expect(r.err).toMatch(/ended CANCELLED; the cell recorded error \(fleet\): the run was cancelled/);
      const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
      expect([result.status, result.errorSource, result.score]).toEqual(['error', 'fleet', null]);
    } else expect(r.err).toMatch(/ended CANCELLED without writing/);
  }, 120_000);
});
