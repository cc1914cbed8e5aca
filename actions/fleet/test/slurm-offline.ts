/**
 * Run by slurm.test.ts inside a fresh network and host-name namespace (loopback only, a host
 * name nothing resolves): starts the test cluster, runs one job, stops, prints the outcome.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOnSlurm, slurmCli } from '../src/slurm.ts';
import { startSlurm } from './slurm-cluster.ts';

const cluster = await startSlurm();
// Stopped from outside (a test timeout): the cluster goes first.
process.once('SIGTERM', () => void cluster.stop().then(() => process.exit(143)));
try {
  const dir = cluster.tempDir('offline-');
  const status = await runOnSlurm(
    slurmCli(cluster.env),
    {
      name: 'ptb-offline',
      command: ['sh', '-c', 'hostname > host.txt'],
      workdir: dir,
      timeLimitMinutes: 5,
      gpus: 0,
      cpus: 1,
      memoryGB: 1,
      logFile: join(dir, 'job.log'),
    },
    join(dir, 'job.sh'),
    { pollMs: 200 },
  );
  console.log(
    JSON.stringify({ state: status.state, exitCode: status.exitCode, host: readFileSync(join(dir, 'host.txt'), 'utf8').trim() }),
  );
} finally {
  await cluster.stop();
}
