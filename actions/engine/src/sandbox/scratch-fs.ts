import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../host-command.ts';

/**
 * The filesystem the agent writes to (workspace, its /tmp and HOME), with a hard size cap.
 *
 * - `loop`: a harness started as root makes a sparse ext4 image of exactly the cap and mounts
 *   it `nosuid,nodev` for the cell: a full disk is the agent's own ENOSPC, never the host's.
 * - `dedicated`: an unprivileged harness is given PTB_SCRATCH_DIR on a filesystem no larger
 *   than the cap (an operator's per-GPU volume, an XFS project quota...), checked by statfs.
 * - `none`: only when the operator said so (PTB_UNENFORCED_LIMITS lists `disk`); recorded.
 */
export type DiskEnforcement = 'loop' | 'dedicated' | 'none';

export interface ScratchFs {
  /** Where the cell's workspace goes. */
  dir: string;
  enforcement: DiskEnforcement;
  capBytes: number;
  /** Why the cap is not enforced (with enforcement `none`). */
  problem?: string;
  /** Unmounts and removes the image (after the workspace is no longer needed). */
  release(): void;
}

export class DiskLimitError extends Error {}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

/**
 * The agent's writable filesystem: a loop-mounted image at `<scratch>/fs` when the harness
 * is root and no dedicated folder was given; otherwise a fresh folder in PTB_SCRATCH_DIR,
 * whose filesystem must be no larger than the cap. The harness's own files (snapshots,
 * logs, sockets) stay in `scratch`, never on the agent's filesystem, except the final
 * model's snapshot: once the agent is gone, the harness links it beside the workspace.
 */
export async function makeScratchFs(opts: {
  scratch: string;
  capBytes: number;
  env: NodeJS.ProcessEnv;
  allowUnenforced: boolean;
}): Promise<ScratchFs> {
  const { scratch, capBytes, env } = opts;
  let loopProblem: string | null = null;
  if (process.getuid?.() === 0 && env.PTB_SCRATCH_DIR === undefined) {
    const loop = await loopFilesystem(scratch, capBytes);
    if ('dir' in loop) return loop;
    loopProblem = loop.problem;
    if (!opts.allowUnenforced) throw new DiskLimitError(`${loop.problem} (the workspace needs a size-capped filesystem)`);
  }
  const dir = mkdtempSync(join(env.PTB_SCRATCH_DIR ?? scratch, 'ptb-fs-'));
  chmodSync(dir, 0o711);
  const st = statfsSync(dir);
  const size = st.blocks * st.bsize;
  const where = env.PTB_SCRATCH_DIR ?? 'the scratch folder';
  const release = () => removeTree(dir);
  if (env.PTB_SCRATCH_DIR && size <= capBytes * 1.02) return { dir, enforcement: 'dedicated', capBytes, release };
  if (!opts.allowUnenforced) {
    release();
    throw new DiskLimitError(
      env.PTB_SCRATCH_DIR
        ? `PTB_SCRATCH_DIR (${where}) is on a filesystem of ${gib(size)} GiB, larger than the cell's disk limit of ${gib(capBytes)} GiB: give each GPU a volume of at most that size (or run the harness as root, which makes one)`
        : `the disk limit of ${gib(capBytes)} GiB cannot be enforced: an unprivileged harness needs PTB_SCRATCH_DIR on a filesystem of at most that size (or run it as root, which makes one per cell)`,
    );
  }
  return { dir, enforcement: 'none', capBytes, release, ...(loopProblem ? { problem: loopProblem } : {}) };
}

/** A sparse ext4 image of exactly the cap, loop-mounted `nosuid,nodev` at `<scratch>/fs`; or why not. */
async function loopFilesystem(scratch: string, capBytes: number): Promise<ScratchFs | { problem: string }> {
  const dir = join(scratch, 'fs');
  mkdirSync(dir);
  const image = join(scratch, 'disk.img');
  const fd = openSync(image, 'w', 0o600);
  try {
    ftruncateSync(fd, capBytes);
  } finally {
    closeSync(fd);
  }
  // No journal and lazy initialisation: the image is scratch for one cell and made in milliseconds.
  const mkfs = await runCommand('mkfs.ext4', [
    '-q',
    '-F',
    '-m',
    '0',
    '-O',
    '^has_journal',
    '-E',
    'lazy_itable_init=1,nodiscard',
    image,
  ]);
  if (mkfs.status !== 0) {
    rmSync(image, { force: true });
    rmSync(dir, { recursive: true, force: true });
    return {
      problem: `cannot make the workspace filesystem (mkfs.ext4): ${(mkfs.stderr || mkfs.error || `exit ${mkfs.status}`).trim()}`,
    };
  }
  const mount = await runCommand('mount', ['-o', 'loop,nosuid,nodev', image, dir]);
  if (mount.status !== 0) {
    rmSync(image, { force: true });
    rmSync(dir, { recursive: true, force: true });
    return {
      problem: `cannot mount the workspace filesystem on a loop device: ${(mount.stderr || mount.error || `exit ${mount.status}`).trim()}`,
    };
  }
  chmodSync(dir, 0o711);
  rmSync(join(dir, 'lost+found'), { recursive: true, force: true });
  return {
    dir,
    enforcement: 'loop',
    capBytes,
    release: () => {
      // Lazy: a process still holding a file (there should be none) cannot keep the image alive.
      run('umount', ['-l', dir]);
      rmSync(image, { force: true });
    },
  };
}

const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(1);

/** Removes a tree of any depth (GNU rm walks with openat; no path-length limit), never crossing into another filesystem. */
export function removeTree(dir: string): void {
  run('rm', ['-rf', '--one-file-system', dir]);
}
