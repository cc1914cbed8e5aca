/**
 * A real single-node Slurm for tests (Debian's slurm-wlm and munge), started without
 * systemd as TOOLING.md describes, with its state in a temporary folder.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SlurmCluster {
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): Promise<void>;
}

function ids(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}: is munge installed? (apt-get install munge slurm-wlm)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function ensureMunge(): void {
  if (spawnSync('sh', ['-c', 'munge -n | unmunge >/dev/null 2>&1']).status === 0) return;
  const munge = ids('munge');
  mkdirSync('/etc/munge', { recursive: true });
  if (!existsSync('/etc/munge/munge.key')) writeFileSync('/etc/munge/munge.key', randomBytes(1024));
  chownSync('/etc/munge/munge.key', munge.uid, munge.gid);
  chmodSync('/etc/munge/munge.key', 0o400);
  for (const d of ['/run/munge', '/var/log/munge', '/var/lib/munge']) {
    mkdirSync(d, { recursive: true });
    chownSync(d, munge.uid, munge.gid);
  }
  execFileSync('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']);
  for (let i = 0; i < 50; i++) {
    if (spawnSync('sh', ['-c', 'munge -n | unmunge >/dev/null 2>&1']).status === 0) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error('munged did not start');
}

export async function startSlurm(): Promise<SlurmCluster> {
  for (const tool of ['slurmctld', 'slurmd', 'sbatch', 'munged']) {
    if (spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0)
      throw new Error(`${tool} is missing: .ci/run installs slurm-wlm and munge`);
  }
  ensureMunge();
  const dir = mkdtempSync(join(tmpdir(), 'ptb-slurm-'));
  const node = hostname().split('.')[0] ?? 'localhost';
  const cpus = Number(execFileSync('nproc').toString().trim());
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = join(dir, 'slurm.conf');
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d));
  writeFileSync(
    conf,
    [
      'ClusterName=ptb-test',
      `SlurmctldHost=${node}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      'AuthType=auth/munge',
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
      `NodeName=${node} CPUs=${cpus} RealMemory=4000 State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons: ChildProcess[] = [
    spawn('/usr/sbin/slurmctld', ['-D', '-f', conf], { env, stdio: 'ignore' }),
    spawn('/usr/sbin/slurmd', ['-D', '-f', conf], { env, stdio: 'ignore' }),
  ];
  const stop = async () => {
    for (const d of daemons) d.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const d of daemons) if (d.exitCode === null) d.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
    if (r.status === 0 && /idle/.test(r.stdout)) return { env, dir, stop };
    await new Promise((res) => setTimeout(res, 200));
  }
  const logs = ['slurmctld.log', 'slurmd.log'].map((f) => {
    try {
      return readFileSync(join(dir, 'log', f), 'utf8').slice(-2000);
    } catch {
      return '';
    }
  });
  await stop();
  throw new Error(`Slurm did not become idle:\n${logs.join('\n')}`);
}
