import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { sha256 } from './hash.ts';
import type { RuntimeKind } from './types.ts';

/**
 * The harness's own git commit (40 hex): PTB_HARNESS_COMMIT when the harness was copied
 * without its .git (a bundle on a GPU machine), else `git rev-parse HEAD`; all zeros when
 * neither says.
 */
export function harnessCommit(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = env.PTB_HARNESS_COMMIT?.trim() ?? '';
  if (/^[a-f0-9]{40}$/.test(given)) return given;
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return /^[a-f0-9]{40}$/.test(out) ? out : '0'.repeat(40);
}

const version = (cmd: string, arg = '--version'): string => {
  const r = spawnSync(cmd, [arg], { encoding: 'utf8' });
  return r.status === 0 ? (`${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? '') : 'absent';
};

/**
 * What the sandbox ran on, as a digest reference. docker/apptainer: the image reference
 * pinned by digest. bwrap has no image: it runs the host OS read-only, so the digest
 * identifies the host (os-release and tool versions) under the `host/bwrap` name.
 */
export function imageReference(runtime: RuntimeKind, image: string | null): string {
  if (runtime !== 'bwrap' && image) return image;
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const identity = [osRelease, version('bwrap'), version('python3'), version('socat', '-V')].join('\n');
  return `host/bwrap@sha256:${sha256(identity)}`;
}
