import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupVersion = 'v2' | 'v1';

export interface Limits {
  memoryBytes?: number;
  pids?: number;
  cpus?: number;
}

/** A cgroup the sandbox runs in: resource limits, and a reliable list of every process to kill. */
export interface Cgroup {
  version: CgroupVersion;
  /** cgroup.procs files to write the sandbox's first pid into (one per v1 hierarchy). */
  procsFiles: string[];
  pids(): number[];
  killAll(): void;
  remove(): void;
}

const CPU_PERIOD_US = 100_000;

/** Which cgroup version this host offers and whether we may create groups (root, mounted). */
export function detectCgroup(root = '/sys/fs/cgroup'): CgroupVersion | null {
  if (existsSync(join(root, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(root, 'pids', 'cgroup.procs')) || existsSync(join(root, 'memory', 'cgroup.procs'))) return 'v1';
  return null;
}

const tryWrite = (file: string, value: string): boolean => {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
};

const readPids = (file: string): number[] => {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((n) => n > 0);
  } catch {
    return [];
  }
};

const killPids = (pids: number[]): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};

/** Creates `ptb-<name>` with the limits; null when the host has no usable cgroups (limits are then not enforced). */
export function createCgroup(name: string, limits: Limits, root = '/sys/fs/cgroup'): Cgroup | null {
  const version = detectCgroup(root);
  if (version === 'v2') {
    const dir = join(root, `ptb-${name}`);
    try {
      // Controllers must be enabled in the parent before a child can use them.
      tryWrite(join(root, 'cgroup.subtree_control'), '+memory +pids +cpu');
      mkdirSync(dir);
    } catch {
      return null;
    }
    if (limits.memoryBytes) tryWrite(join(dir, 'memory.max'), String(limits.memoryBytes));
    if (limits.pids) tryWrite(join(dir, 'pids.max'), String(limits.pids));
    if (limits.cpus) tryWrite(join(dir, 'cpu.max'), `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
    const procs = join(dir, 'cgroup.procs');
    return {
      version,
      procsFiles: [procs],
      pids: () => readPids(procs),
      killAll: () => {
        if (!tryWrite(join(dir, 'cgroup.kill'), '1')) killPids(readPids(procs));
      },
      remove: () => removeDir(dir),
    };
  }
  if (version === 'v1') {
    const dirs: Record<string, string> = {};
    for (const controller of ['pids', 'memory', 'cpu']) {
      const base = join(root, controller);
      if (!existsSync(base)) continue;
      const dir = join(base, `ptb-${name}`);
      try {
        mkdirSync(dir);
        dirs[controller] = dir;
      } catch {
        // this hierarchy is not writable: skip its limit
      }
    }
    if (Object.keys(dirs).length === 0) return null;
    if (dirs.memory && limits.memoryBytes) tryWrite(join(dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    if (dirs.pids && limits.pids) tryWrite(join(dirs.pids, 'pids.max'), String(limits.pids));
    if (dirs.cpu && limits.cpus) {
      tryWrite(join(dirs.cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      tryWrite(join(dirs.cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CPU_PERIOD_US)));
    }
    const procsFiles = Object.values(dirs).map((d) => join(d, 'cgroup.procs'));
    const pidsOf = () => [...new Set(procsFiles.flatMap(readPids))];
    return {
      version,
      procsFiles,
      pids: pidsOf,
      killAll: () => killPids(pidsOf()),
      remove: () => {
        for (const d of Object.values(dirs)) removeDir(d);
      },
    };
  }
  return null;
}

function removeDir(dir: string): void {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      // EBUSY while the last processes exit
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
