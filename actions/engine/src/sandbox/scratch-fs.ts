import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, openSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

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
  /** Unmounts and removes the image (after the workspace is no longer needed). */
  release(): void;
}

export class DiskLimitError extends Error {}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

/** A folder on a filesystem whose size is the cap, under `scratch` (root) or in the operator's dedicated folder. */
export function makeScratchFs(opts: {
  scratch: string;
  capBytes: number;
  env: NodeJS.ProcessEnv;
  allowUnenforced: boolean;
}): ScratchFs {
  const { scratch, capBytes, env } = opts;
  if (process.getuid?.() === 0 && env.PTB_SCRATCH_DIR === undefined) {
    const image = join(scratch, 'disk.img');
    const mountPoint = join(scratch, 'fs');
    mkdirSync(mountPoint);
    const fd = openSync(image, 'w', 0o600);
    try {
      ftruncateSync(fd, capBytes);
    } finally {
      closeSync(fd);
    }
    // No journal and lazy initialisation: the image is scratch for one cell and made in milliseconds.
    const mkfs = run('mkfs.ext4', ['-q', '-F', '-m', '0', '-O', '^has_journal', '-E', 'lazy_itable_init=1,nodiscard', image]);
    if (mkfs.status !== 0) throw new DiskLimitError(`cannot make the workspace filesystem (mkfs.ext4): ${mkfs.stderr.trim()}`);
    const mount = run('mount', ['-o', 'loop,nosuid,nodev', image, mountPoint]);
    if (mount.status !== 0) {
      rmSync(image, { force: true });
      throw new DiskLimitError(`cannot mount the workspace filesystem (loop device): ${mount.stderr.trim()}`);
    }
    chmodSync(mountPoint, 0o711);
    rmSync(join(mountPoint, 'lost+found'), { recursive: true, force: true });
    return {
      dir: mountPoint,
      enforcement: 'loop',
      capBytes,
      release: () => {
        // Lazy: a process still holding a file (there should be none) cannot keep the image alive.
        run('umount', ['-l', mountPoint]);
        rmSync(image, { force: true });
      },
    };
  }
  const dedicated = env.PTB_SCRATCH_DIR;
  if (dedicated) {
    const st = statfsSync(dedicated);
    const size = st.blocks * st.bsize;
    if (size <= capBytes * 1.02) {
      const dir = join(dedicated, `ptb-${process.pid}-${Date.now().toString(36)}`);
      mkdirSync(dir, { mode: 0o711 });
      return { dir, enforcement: 'dedicated', capBytes, release: () => removeTree(dir) };
    }
    if (!opts.allowUnenforced)
      throw new DiskLimitError(
        `PTB_SCRATCH_DIR (${dedicated}) is on a filesystem of ${gib(size)} GiB, larger than the cell's disk limit of ${gib(capBytes)} GiB: give each GPU a volume of at most that size (or run the harness as root, which makes one)`,
      );
  } else if (!opts.allowUnenforced)
    throw new DiskLimitError(
      `the disk limit of ${gib(capBytes)} GiB cannot be enforced: an unprivileged harness needs PTB_SCRATCH_DIR on a filesystem of at most that size (or run it as root, which makes one per cell)`,
    );
  const dir = join(dedicated ?? scratch, dedicated ? `ptb-${process.pid}-${Date.now().toString(36)}` : 'fs');
  mkdirSync(dir, { mode: 0o711 });
  return { dir, enforcement: 'none', capBytes, release: () => (dedicated ? removeTree(dir) : undefined) };
}

const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(1);

/** Removes a tree of any depth (GNU rm walks with openat; no path-length limit), never crossing into another filesystem. */
export function removeTree(dir: string): void {
  run('rm', ['-rf', '--one-file-system', dir]);
}
