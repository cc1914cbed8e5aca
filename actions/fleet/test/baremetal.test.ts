/**
 * Two GPU instances of one bare-metal box, side by side, for real: install-instance.sh makes a
 * user, a folder and a runner copy per GPU (as root), jit-runner.sh registers each against a
 * local GitHub stand-in and starts that instance's run.sh as that instance's user, and the
 * hooks run as the runner runs them. run.sh stands in for the actions/runner release (which
 * cannot be downloaded here): it writes its registration beside itself and works in _work, as
 * the real one does. The unit file is checked for what would kill a long cell.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadWorkflow, planJob } from '../../pipeline/test/support/workflow-model.ts';

const HERE = fileURLToPath(new URL('../', import.meta.url));
const BAREMETAL = join(HERE, 'baremetal');
const HOOKS = join(HERE, 'hooks');
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the systemd unit', () => {
  const unit = readFileSync(join(BAREMETAL, 'ptb-runner@.service'), 'utf8');
  const settings = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) settings.set(m[1], [...(settings.get(m[1]) ?? []), m[2] ?? '']);
  }
  test('one user and one folder per GPU instance', () => {
    expect(settings.get('User')).toEqual(['ptb-runner-%i']);
    expect(settings.get('WorkingDirectory')).toEqual(['/var/lib/ptb-runner/%i']);
    expect(settings.get('Environment')).toContain('PTB_INSTANCE_DIR=/var/lib/ptb-runner/%i');
    expect(settings.get('Environment')).toContain('CUDA_VISIBLE_DEVICES=%i');
    // The hook finds the runner's own work folder; a fixed PTB_WORK_DIR would point elsewhere.
    expect((settings.get('Environment') ?? []).some((e) => e.startsWith('PTB_WORK_DIR='))).toBe(false);
  });
  test('nothing kills a long cell for time spent waiting for a job', () => {
    for (const key of ['RuntimeMaxSec', 'WatchdogSec', 'RuntimeRandomizedExtraSec', 'TimeoutSec', 'TimeoutStartSec'])
      expect(settings.has(key), `${key} counts the time the runner waits for its job`).toBe(false);
    expect(settings.get('Type')).toEqual(['simple']);
  });
});

// ---- two instances side by side -----------------------------------------------------------

const tag = `ptbt${process.pid.toString(36)}`;
const users = [`${tag}-0`, `${tag}-1`];
let base = '';
let server: Server | undefined;
let port = 0;
const children: ChildProcess[] = [];
const requests: { name: string; labels: string[]; work_folder: string }[] = [];

/** The runner stand-in: registers, works in _work, runs the hooks, waits for `go` between them. */
const RUN_SH = `#!/bin/bash
set -u
me=$(cd "$(dirname "$0")" && pwd)
printf '%s %s\\n' "$1 $2" "$(id -un)" > "$me/.credentials"
echo "{\\"agentName\\": \\"$2\\"}" > "$me/.runner"
mkdir -p "$me/_work/_temp" "$me/_work/leaderboard/leaderboard"
echo "weights of $(id -un)" > "$me/_work/leaderboard/leaderboard/final_model.bin"
echo "temp of $(id -un)" > "$me/_work/_temp/secret.txt"
export RUNNER_TEMP="$me/_work/_temp" RUNNER_WORKSPACE="$me/_work/leaderboard" GITHUB_WORKSPACE="$me/_work/leaderboard/leaderboard"
bash "$ACTIONS_RUNNER_HOOK_JOB_STARTED" > "$me/started.log" 2>&1; echo $? > "$me/started.code"
while [ ! -f "$me/go" ]; do sleep 0.1; done
bash "$ACTIONS_RUNNER_HOOK_JOB_COMPLETED" > "$me/completed.log" 2>&1; echo $? > "$me/completed.code"
`;

// Scripts run in a scratch folder, never in the repository: a cleanup hook that falls back to its
// working directory (as the old one did) must find nothing of ours there.
function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', cwd: base || tmpdir() });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the bare-metal test creates users: run it as root (CI runs as root)');
  for (const tool of ['useradd', 'userdel', 'groupadd', 'runuser', 'curl'])
    if (sh('sh', ['-c', `command -v ${tool}`]).code !== 0)
      throw new Error(`${tool} is missing (apt-get install passwd util-linux curl)`);
  base = mkdtempSync(join(tmpdir(), 'ptb-baremetal-'));
  chmodSync(base, 0o755);
  // The runner release (stand-in), a fake nvidia-smi with an idle GPU, the model cache, the token.
  const release = join(base, 'release');
  mkdirSync(join(release, 'bin'), { recursive: true });
  writeFileSync(join(release, 'run.sh'), RUN_SH);
  chmodSync(join(release, 'run.sh'), 0o755);
  writeFileSync(join(release, 'bin', 'Runner.Listener'), 'the runner itself\n');
  const bin = join(base, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'nvidia-smi'),
    `#!/bin/sh\ncase "$*" in *query-gpu=index*) echo 0 ;; *memory.used*) echo 3 ;; *) ;; esac\n`,
  );
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  mkdirSync(join(base, 'models'));
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as { name: string; labels: string[]; work_folder: string; runner_group_id: number };
      requests.push(body);
      const answer = {
        runner: { id: requests.length, name: body.name, os: 'linux', status: 'offline', busy: false, labels: [] },
        encoded_jit_config: Buffer.from(`config-for-${body.name}`).toString('base64'),
      };
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  for (const i of [0, 1]) {
    const r = sh('bash', [join(BAREMETAL, 'install-instance.sh'), String(i)], {
      PATH: process.env.PATH,
      PTB_RUNNER_RELEASE: release,
      PTB_RUNNER_HOME_ROOT: join(base, 'instances'),
      PTB_RUNNER_USER_PREFIX: `${tag}-`,
      PTB_RUNNER_GROUP: tag,
    });
    expect(r.code, r.out).toBe(0);
  }
  writeFileSync(join(base, 'token'), 'ghs_registration');
  sh('chgrp', [tag, join(base, 'token')]);
  chmodSync(join(base, 'token'), 0o640);
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  for (const u of users) sh('userdel', [u]);
  sh('groupdel', [tag]);
  if (base) rmSync(base, { recursive: true, force: true });
});

const instance = (i: number) => join(base, 'instances', String(i));

function start(i: number): Promise<number | null> {
  const env = {
    PATH: `${join(base, 'bin')}:${process.env.PATH}`,
    GITHUB_API_URL: `http://127.0.0.1:${port}`,
    PTB_REPOSITORY: 'posttrainbench/leaderboard',
    PTB_RUNNER_GROUP_ID: '7',
    PTB_RUNNER_TOKEN_FILE: join(base, 'token'),
    PTB_INSTANCE_DIR: instance(i),
    PTB_GPU_INDEX: String(i),
    CUDA_VISIBLE_DEVICES: String(i),
    PTB_MODEL_CACHE: join(base, 'models'),
    PTB_MIN_FREE_DISK_GB: '0',
    PTB_SCRATCH_DIR: join(instance(i), 'scratch'),
    PTB_KILL_GRACE_SECONDS: '0',
    ACTIONS_RUNNER_HOOK_JOB_STARTED: join(HOOKS, 'job-started.sh'),
    ACTIONS_RUNNER_HOOK_JOB_COMPLETED: join(HOOKS, 'job-completed.sh'),
  };
  // As systemd would: the instance's user, in the instance's folder.
  const child = spawn('runuser', ['-u', users[i] as string, '--', 'bash', join(BAREMETAL, 'jit-runner.sh')], {
    env,
    cwd: instance(i),
    stdio: 'ignore',
  });
  children.push(child);
  return new Promise((r) => child.on('exit', r));
}

async function until(what: string, ok: () => boolean) {
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe('two GPU instances side by side', { timeout: 120_000 }, () => {
  test('own user, own runner copy, own credentials and _work; each cleanup wipes only its own folder', async () => {
    const runner = (i: number) => join(instance(i), 'runner');
    const exits = [start(0), start(1)];
    await until(
      'both jobs to start',
      () => existsSync(join(runner(0), 'started.code')) && existsSync(join(runner(1), 'started.code')),
    );
    // Both registered, with the label cell.yml asks for, each working in its own copy.
    expect(requests).toHaveLength(2);
    const wf = await loadWorkflow('cell.yml', readFileSync(join(ROOT, '.github/workflows/cell.yml'), 'utf8'));
    const runsOn = [planJob(wf, 'cell', { name: 'workflow_dispatch', payload: {}, inputs: {} }).runsOn].flat().map(String);
    for (const r of requests) {
      for (const l of runsOn) expect(r.labels).toContain(l);
      expect(r.work_folder).toBe('_work');
    }
    for (const i of [0, 1]) {
      expect(
        readFileSync(join(runner(i), 'started.code'), 'utf8').trim(),
        readFileSync(join(runner(i), 'started.log'), 'utf8'),
      ).toBe('0');
      expect(readFileSync(join(runner(i), '.credentials'), 'utf8')).toMatch(new RegExp(` ${users[i]}\\n$`));
    }
    expect(readFileSync(join(runner(0), '.credentials'), 'utf8')).not.toBe(readFileSync(join(runner(1), '.credentials'), 'utf8'));
    // Instance 0 cannot read instance 1's folder.
    expect(sh('runuser', ['-u', users[0] as string, '--', 'ls', instance(1)]).code).not.toBe(0);
    // Instance 0's job ends while instance 1's still runs.
    writeFileSync(join(runner(0), 'go'), '');
    expect(await exits[0]).toBe(0);
    expect(
      readFileSync(join(runner(0), 'completed.code'), 'utf8').trim(),
      readFileSync(join(runner(0), 'completed.log'), 'utf8'),
    ).toBe('0');
    expect(readdirSync(join(runner(0), '_work'))).toEqual([]);
    expect(readFileSync(join(runner(1), '_work', '_temp', 'secret.txt'), 'utf8')).toBe(`temp of ${users[1]}\n`);
    expect(existsSync(join(runner(1), '_work', 'leaderboard', 'leaderboard', 'final_model.bin'))).toBe(true);
    expect(readFileSync(join(runner(1), '.credentials'), 'utf8')).toMatch(new RegExp(` ${users[1]}\\n$`));
    writeFileSync(join(runner(1), 'go'), '');
    expect(await exits[1]).toBe(0);
    expect(readdirSync(join(runner(1), '_work'))).toEqual([]);
  });

  test('the cleanup hook refuses a folder that is not a runner work folder', () => {
    const decoy = join(base, 'not-a-runner');
    mkdirSync(decoy, { recursive: true });
    writeFileSync(join(decoy, 'keep.txt'), "not the job's\n");
    const r = sh('bash', [join(HOOKS, 'job-completed.sh')], {
      PATH: process.env.PATH,
      RUNNER_TEMP: join(base, 'not-a-runner', '_temp'),
      PTB_SCRATCH_DIR: join(base, 'scratch-x'),
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Cleanup refused::.* is not a runner work folder/);
    expect(readFileSync(join(decoy, 'keep.txt'), 'utf8')).toBe("not the job's\n");
    // Without RUNNER_TEMP or PTB_WORK_DIR it wipes nothing (the old hook emptied its working directory).
    const bare = sh('bash', [join(HOOKS, 'job-completed.sh')], {
      PATH: process.env.PATH,
      PTB_SCRATCH_DIR: join(base, 'scratch-y'),
    });
    expect(bare.code).toBe(1);
    expect(bare.out).toMatch(/Cleanup not possible/);
    expect(existsSync(join(base, 'instances'))).toBe(true);
  });
});
