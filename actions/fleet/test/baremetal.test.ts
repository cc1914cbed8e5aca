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
    // Outside the job's work folder, which each job's end empties.
    expect(settings.get('Environment')).toContain('PTB_CACHE_DIR=/var/lib/ptb-runner/%i/cache');
    // The hook finds the runner's own work folder; a fixed PTB_WORK_DIR would point elsewhere.
    expect((settings.get('Environment') ?? []).some((e) => e.startsWith('PTB_WORK_DIR='))).toBe(false);
  });
  test("the sandbox's limits hold for an unprivileged runner: a delegated cgroup and a fresh scratch filesystem per job", () => {
    expect(settings.get('Delegate')).toEqual(['yes']);
    expect(settings.get('ExecStartPre')).toEqual(['+/opt/ptb/baremetal/mount-scratch.sh %i']);
    // The folder mount-scratch.sh mounts by default is the one the harness is told about.
    const script = readFileSync(join(BAREMETAL, 'mount-scratch.sh'), 'utf8');
    const root = /PTB_SCRATCH_ROOT:-([^}]+)}/.exec(script)?.[1];
    expect(settings.get('Environment')).toContain(`PTB_SCRATCH_DIR=${root}/%i`);
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
# What ptb run would get: the delegated cgroup (if any), and whether a cell's group with limits can be made in it.
P=\${PTB_CGROUP_PARENT:-}; probe=no
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
  if [ -n "$P" ] && echo "+memory +pids" > "/sys/fs/cgroup$P/cgroup.subtree_control" && mkdir "/sys/fs/cgroup$P/cell" &&
    echo 64 > "/sys/fs/cgroup$P/cell/pids.max" && echo 1G > "/sys/fs/cgroup$P/cell/memory.max" && rmdir "/sys/fs/cgroup$P/cell"; then probe=yes; fi
else
  cg=$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)
  if [ -n "$P" ] && mkdir "/sys/fs/cgroup/pids$P/cell" "/sys/fs/cgroup/memory$P/cell" &&
    echo 64 > "/sys/fs/cgroup/pids$P/cell/pids.max" && echo 1073741824 > "/sys/fs/cgroup/memory$P/cell/memory.limit_in_bytes" &&
    rmdir "/sys/fs/cgroup/pids$P/cell" "/sys/fs/cgroup/memory$P/cell"; then probe=yes; fi
fi
echo "\${P:-none} $cg $probe" > "$me/cgroup.txt"
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

/** Cgroups made for the delegation test, removed (leaves first) after the processes in them ended. */
const delegated: string[] = [];
/** Scratch filesystems mounted by the test, unmounted before their folders are removed. */
const mounted: string[] = [];

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const dir of delegated) {
    // A killed process leaves its cgroup a moment later.
    for (
      let i = 0;
      i < 50 && existsSync(join(dir, 'runner')) && readFileSync(join(dir, 'runner', 'cgroup.procs'), 'utf8').trim();
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    sh('rmdir', [join(dir, 'cell')]);
    sh('rmdir', [join(dir, 'runner')]);
    sh('rmdir', [dir]);
  }
  for (const dir of mounted) sh('umount', [dir]);
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  for (const u of users) sh('userdel', [u]);
  sh('groupdel', [tag]);
  if (base) rmSync(base, { recursive: true, force: true });
});

const instance = (i: number) => join(base, 'instances', String(i));

/** Starts instance i's jit-runner.sh as its user; inside the given cgroup folders when any, as systemd starts a service. */
function start(i: number, cgroups: string[] = []): Promise<number | null> {
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
  const asUser = ['runuser', '-u', users[i] as string, '--', 'bash', join(BAREMETAL, 'jit-runner.sh')];
  const enter = cgroups.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ');
  const command = enter ? ['sh', '-c', `${enter} && exec "$@"`, 'in-cgroup', ...asUser] : asUser;
  const child = spawn(command[0] as string, command.slice(1), {
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
    // No cgroup delegated to these users: none is named to ptb run (whose preflight then refuses cells, saying why).
    for (const i of [0, 1]) expect(readFileSync(join(runner(i), 'cgroup.txt'), 'utf8')).toMatch(/^none /);
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

  test("with the service's cgroup delegated to the instance (Delegate=yes), ptb run is told where it may limit a cell", async () => {
    const cg = `/${tag}-service`;
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    // What systemd's Delegate=yes hands the service's user: its group (in each controller's
    // hierarchy on v1), with the files that move processes and enable controllers.
    const dirs = v2 ? [`/sys/fs/cgroup${cg}`] : ['pids', 'memory'].map((c) => `/sys/fs/cgroup/${c}${cg}`);
    if (!v2 && !existsSync('/sys/fs/cgroup/pids/cgroup.procs'))
      throw new Error('this test needs cgroup v2, or v1 with pids and memory');
    if (v2) for (const c of ['+memory', '+pids']) sh('sh', ['-c', `echo ${c} > /sys/fs/cgroup/cgroup.subtree_control`]);
    for (const dir of dirs) {
      delegated.push(dir);
      mkdirSync(dir);
      for (const f of ['', 'cgroup.procs', ...(v2 ? ['cgroup.subtree_control', 'cgroup.threads'] : ['tasks'])])
        expect(sh('chown', [users[0] as string, join(dir, f)]).code).toBe(0);
    }
    const runner = join(instance(0), 'runner');
    for (const f of ['go', 'started.code', 'completed.code', 'cgroup.txt']) rmSync(join(runner, f), { force: true });
    writeFileSync(join(runner, 'go'), '');
    expect(await start(0, dirs)).toBe(0);
    // v2: the runner left the service's group for a leaf, so the group can enable controllers for a cell's.
    expect(readFileSync(join(runner, 'cgroup.txt'), 'utf8').trim()).toBe(v2 ? `${cg} ${cg}/runner yes` : `${cg} ${cg} yes`);
  });

  test('mount-scratch.sh gives the instance a fresh filesystem of the cap, owned by its user, before each job', () => {
    const env = {
      PATH: process.env.PATH,
      PTB_SCRATCH_ROOT: join(base, 'scratch-root'),
      PTB_SCRATCH_GB: '1',
      PTB_RUNNER_USER_PREFIX: `${tag}-`,
      PTB_RUNNER_GROUP: tag,
    };
    const dir = join(base, 'scratch-root', '0');
    mounted.push(dir);
    const first = sh('bash', [join(BAREMETAL, 'mount-scratch.sh'), '0'], env);
    expect(first.code, first.out).toBe(0);
    expect(sh('mountpoint', ['-q', dir]).code).toBe(0);
    expect(sh('stat', ['-c', '%U %a', dir]).out.trim()).toBe(`${users[0]} 700`);
    const size = Number(sh('df', ['-B1', '--output=size', dir]).out.trim().split('\n').at(-1));
    expect(size).toBeGreaterThan(0.9 * 2 ** 30);
    expect(size).toBeLessThanOrEqual(2 ** 30);
    // The instance's user writes there; the next job's filesystem has none of it.
    expect(sh('runuser', ['-u', users[0] as string, '--', 'sh', '-c', `echo weights > ${dir}/left.bin`]).code).toBe(0);
    expect(sh('bash', [join(BAREMETAL, 'mount-scratch.sh'), '0'], env).code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    // Another instance's user cannot look in.
    expect(sh('runuser', ['-u', users[1] as string, '--', 'ls', dir]).code).not.toBe(0);
    expect(sh('bash', [join(BAREMETAL, 'mount-scratch.sh'), 'x'], env).out).toMatch(/GPU index must be a number/);
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
