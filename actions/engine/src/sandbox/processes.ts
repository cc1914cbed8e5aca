import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid, start time and state (R, S, Z...) of a process, from /proc/<pid>/stat (null when it is gone). */
export function procStat(pid: number): { ppid: number; start: string; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), start: rest[19] ?? '', state: rest[0] ?? '' };
  } catch {
    return null;
  }
}

/** Every live descendant of `root` (not including it), found by walking parent links in /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** A process identity that survives pid reuse: pid plus its start time. */
export interface ProcId {
  pid: number;
  start: string;
}

export const identify = (pids: number[]): ProcId[] =>
  pids.flatMap((pid) => {
    const st = procStat(pid);
    return st ? [{ pid, start: st.start }] : [];
  });

export const stillAlive = (ids: ProcId[]): number[] => ids.filter((p) => procStat(p.pid)?.start === p.start).map((p) => p.pid);

/** Of those processes, the ones still running: alive and not a zombie waiting for its parent. */
export const stillRunning = (ids: ProcId[]): number[] =>
  ids
    .filter((p) => {
      const st = procStat(p.pid);
      return st?.start === p.start && st.state !== 'Z';
    })
    .map((p) => p.pid);

export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

export function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
