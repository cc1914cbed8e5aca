import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
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
  /** The limits that were written and read back; a requested limit missing here is not enforced. */
  enforced: Limits;
  pids(): number[];
  killAll(): void;
  remove(): void;
}

const CPU_PERIOD_US = 100_000;

/**
 * Where the harness may make cgroups: the cgroup mount, or a subtree delegated to its user
 * (PTB_CGROUP_PARENT, relative to the mount: e.g. what systemd's `Delegate=yes` gives a
 * service, or a folder an operator made and chowned to the runner's user). For cgroup v1 the
 * same relative path is used in each controller's hierarchy.
 */
export function cgroupParent(env: NodeJS.ProcessEnv = process.env): string {
  const rel = (env.PTB_CGROUP_PARENT ?? '').replace(/^\/+|\/+$/g, '');
  if (rel.split('/').some((part) => part === '..')) throw new Error('PTB_CGROUP_PARENT must not contain ".."');
  return rel;
}

/** Which cgroup version this host offers. */
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

const readText = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
};

/** Writes a limit and reads it back: only a value the kernel kept counts as enforced. */
const setLimit = (file: string, value: string, expect = value): boolean =>
  tryWrite(file, value) && readText(file)?.split(/\s+/)[0] === expect.split(/\s+/)[0];

/** The kernel keeps memory limits in whole pages: a limit is written as a page multiple, so it reads back equal. */
const PAGE = 4096;
const pages = (bytes: number): number => Math.floor(bytes / PAGE) * PAGE;

const readPids = (file: string): number[] =>
  (readText(file) ?? '')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((n) => n > 0);

const killPids = (pids: number[]): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};

/** Memory for a sandbox when none is configured: the host's memory less a reserve for the harness and the OS. */
export function defaultMemoryBytes(total = totalmem()): number {
  const reserve = Math.max(2 * 2 ** 30, total * 0.1);
  return Math.max(2 ** 30, Math.floor(total - reserve));
}

/** Creates `ptb-<name>` under the parent with the limits; null when the host has no cgroups the harness may use. */
export function createCgroup(name: string, limits: Limits, root = '/sys/fs/cgroup', parent = cgroupParent()): Cgroup | null {
  const version = detectCgroup(root);
  if (version === 'v2') {
    const base = join(root, parent);
    const dir = join(base, `ptb-${name}`);
    try {
      // Controllers must be enabled in the parent before a child can use them.
      tryWrite(join(base, 'cgroup.subtree_control'), '+memory +pids +cpu');
      mkdirSync(dir);
    } catch {
      return null;
    }
    const enforced: Limits = {};
    if (limits.memoryBytes && setLimit(join(dir, 'memory.max'), String(pages(limits.memoryBytes))))
      enforced.memoryBytes = limits.memoryBytes;
    // Swap would let the memory limit be exceeded.
    if (existsSync(join(dir, 'memory.swap.max'))) tryWrite(join(dir, 'memory.swap.max'), '0');
    if (limits.pids && setLimit(join(dir, 'pids.max'), String(limits.pids))) enforced.pids = limits.pids;
    if (limits.cpus && setLimit(join(dir, 'cpu.max'), `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`))
      enforced.cpus = limits.cpus;
    const procs = join(dir, 'cgroup.procs');
    return {
      version,
      procsFiles: [procs],
      enforced,
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
      const base = join(root, controller, parent);
      if (!existsSync(base)) continue;
      const dir = join(base, `ptb-${name}`);
      try {
        mkdirSync(dir);
        dirs[controller] = dir;
      } catch {
        // this hierarchy is not writable: its limit is not enforced (the caller decides)
      }
    }
    if (Object.keys(dirs).length === 0) return null;
    const enforced: Limits = {};
    if (dirs.memory && limits.memoryBytes) {
      if (setLimit(join(dirs.memory, 'memory.limit_in_bytes'), String(pages(limits.memoryBytes))))
        enforced.memoryBytes = limits.memoryBytes;
      tryWrite(join(dirs.memory, 'memory.memsw.limit_in_bytes'), String(pages(limits.memoryBytes)));
    }
    if (dirs.pids && limits.pids && setLimit(join(dirs.pids, 'pids.max'), String(limits.pids))) enforced.pids = limits.pids;
    if (dirs.cpu && limits.cpus) {
      const quota = String(Math.round(limits.cpus * CPU_PERIOD_US));
      if (
        setLimit(join(dirs.cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US)) &&
        setLimit(join(dirs.cpu, 'cpu.cfs_quota_us'), quota)
      )
        enforced.cpus = limits.cpus;
    }
    const procsFiles = Object.values(dirs).map((d) => join(d, 'cgroup.procs'));
    const pidsOf = () => [...new Set(procsFiles.flatMap(readPids))];
    return {
      version,
      procsFiles,
      enforced,
      pids: pidsOf,
      killAll: () => killPids(pidsOf()),
      remove: () => {
        for (const d of Object.values(dirs)) removeDir(d);
      },
    };
  }
  return null;
}

/** Limits that were asked for but not enforced, in words (empty when all hold). */
export function unenforced(requested: Limits, cgroup: Cgroup | null): string[] {
  const out: string[] = [];
  const got = cgroup?.enforced ?? {};
  if (requested.pids && got.pids !== requested.pids) out.push(`pids (${requested.pids})`);
  if (requested.memoryBytes && got.memoryBytes !== requested.memoryBytes)
    out.push(`memory (${(requested.memoryBytes / 2 ** 30).toFixed(1)} GiB)`);
  if (requested.cpus && got.cpus !== requested.cpus) out.push(`cpu (${requested.cpus})`);
  return out;
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
