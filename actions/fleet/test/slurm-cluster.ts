/**
 * A real single-node Slurm for tests (Debian's slurm-wlm and munge), started without
 * systemd. Everything is its own and sits in one temporary folder: a munged on a private
 * socket with a fresh key (the machine's /etc/munge and any running munged are left alone),
 * slurmctld and slurmd on loopback addresses, so that no name is ever looked up (CI machines
 * may have no DNS, and the host name may not resolve). stop() cancels the jobs, ends every
 * process the cluster started and removes the folder.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SlurmCluster {
  env: NodeJS.ProcessEnv;
  /** The cluster's folder; anything the tests put under it goes with stop(). */
  dir: string;
  /** A fresh folder inside `dir`, for a job's files. */
  tempDir(prefix: string): string;
  stop(): Promise<void>;
}

const NODE = 'ptb-node';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of live processes whose environment names this cluster's slurm.conf: its daemons, steps and jobs. */
function processesOf(conf: string): number[] {
  const marker = `SLURM_CONF=${conf}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

function killAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export async function startSlurm(): Promise<SlurmCluster> {
  for (const tool of ['slurmctld', 'slurmd', 'sbatch', 'munged']) {
    if (spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0)
      throw new Error(`${tool} is missing: apt-get install slurm-wlm munge (.ci/run installs them)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ptb-slurm-'));
  // munged insists that everyone may traverse the folders down to its socket.
  chmodSync(dir, 0o755);
  const munge = join(dir, 'munge');
  mkdirSync(munge, { mode: 0o755 });
  chmodSync(munge, 0o755);
  writeFileSync(join(munge, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const socket = join(munge, 'munge.socket');
  const cpus = Number(execFileSync('nproc').toString().trim());
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = join(dir, 'slurm.conf');
  for (const d of ['state', 'spool', 'log', 'jobs']) mkdirSync(join(dir, d));
  writeFileSync(
    conf,
    [
      'ClusterName=ptb-test',
      // "localhost" is the controller whatever this machine is called; the address in
      // parentheses means no name is resolved.
      'SlurmctldHost=localhost(127.0.0.1)',
      'SlurmUser=root',
      'SlurmdUser=root',
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      // IPv4 alone makes Slurm resolve its listening address with AF_INET and AI_ADDRCONFIG,
      // which finds nothing on a machine whose only interface is loopback.
      'CommunicationParameters=EnableIPv6',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'ReturnToService=2',
      'MinJobAge=600',
      'KillWait=5',
      'InactiveLimit=0',
      'SchedulerType=sched/backfill',
      `NodeName=${NODE} NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=${cpus} RealMemory=4000 State=UNKNOWN`,
      `PartitionName=debug Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const daemon = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { env, stdio: 'ignore' });
    daemons.push(child);
    return child;
  };
  // Should the test process end without stop() (a crash), its daemons end with it.
  const onExit = () => killAll([...daemons.map((d) => d.pid ?? 0).filter(Boolean), ...processesOf(conf)], 'SIGKILL');
  process.once('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Jobs first, so no step outlives its slurmd; then the daemons; then anything left.
    spawnSync('scancel', ['--full', '--signal=KILL', `--partition=debug`], { env, timeout: 10_000 });
    for (let i = 0; i < 50; i++) {
      const q = spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8', timeout: 5_000 });
      if (q.status !== 0 || q.stdout.trim() === '') break;
      await sleep(200);
    }
    for (const d of daemons) d.kill('SIGTERM');
    for (let i = 0; i < 50 && daemons.some((d) => d.exitCode === null && d.signalCode === null); i++) await sleep(100);
    for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
    for (let i = 0; i < 3; i++) {
      const left = processesOf(conf);
      if (left.length === 0) break;
      killAll(left, 'SIGKILL');
      await sleep(100);
    }
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    daemon('/usr/sbin/munged', [
      '--foreground',
      `--socket=${socket}`,
      `--key-file=${join(munge, 'munge.key')}`,
      `--pid-file=${join(munge, 'munged.pid')}`,
      `--log-file=${join(munge, 'munged.log')}`,
      `--seed-file=${join(munge, 'munged.seed')}`,
      '--origin=127.0.0.1',
    ]);
    for (let i = 0; i < 50; i++) {
      if (spawnSync('sh', ['-c', `munge -n --socket='${socket}' | unmunge --socket='${socket}' >/dev/null 2>&1`]).status === 0)
        break;
      if (i === 49) throw new Error(`munged did not start:\n${tail(join(munge, 'munged.log'))}`);
      await sleep(100);
    }
    daemon('/usr/sbin/slurmctld', ['-D', '-f', conf]);
    daemon('/usr/sbin/slurmd', ['-D', '-N', NODE, '-f', conf]);
    // Given up well before the caller's hook would time out, so that stop() still runs here.
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8', timeout: 5_000 });
      if (r.status === 0 && /idle/.test(r.stdout)) {
        let jobs = 0;
        const tempDir = (prefix: string) => {
          const d = join(dir, 'jobs', `${prefix}${++jobs}`);
          mkdirSync(d);
          return d;
        };
        return { env, dir, tempDir, stop };
      }
      await sleep(200);
    }
    throw new Error(
      `Slurm did not become idle:\n${tail(join(dir, 'log', 'slurmctld.log'))}\n${tail(join(dir, 'log', 'slurmd.log'))}`,
    );
  } catch (e) {
    await stop();
    throw e;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return `(no ${file})`;
  }
}
