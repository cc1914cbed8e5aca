import { existsSync, readFileSync } from 'node:fs';
import { sha256 } from './hash.ts';
import { runCommand } from './host-command.ts';
import type { RuntimeKind } from './types.ts';

/**
 * The harness's own git commit (40 hex): PTB_HARNESS_COMMIT when the harness was copied
 * without its .git (a bundle on a GPU machine), else `git rev-parse HEAD`; all zeros when
 * neither says.
 */
export async function harnessCommit(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const given = env.PTB_HARNESS_COMMIT?.trim() ?? '';
  if (/^[a-f0-9]{40}$/.test(given)) return given;
  const r = await runCommand('git', ['rev-parse', 'HEAD'], { cwd });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return /^[a-f0-9]{40}$/.test(out) ? out : '0'.repeat(40);
}

const version = async (cmd: string, arg = '--version'): Promise<string> => {
  const r = await runCommand(cmd, [arg]);
  return r.status === 0 ? (`${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? '') : 'absent';
};

/**
 * What bwrap runs on: it has no image and uses the host OS read-only, so a digest of the host
 * (os-release and tool versions) under the `host/bwrap` name identifies it.
 */
async function hostReference(): Promise<string> {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const identity = [osRelease, ...(await Promise.all([version('bwrap'), version('python3'), version('socat', '-V')]))].join('\n');
  return `host/bwrap@sha256:${sha256(identity)}`;
}

export interface Provenance {
  harnessCommit: string;
  images: { agent: string; evaluation: string };
}

/**
 * The harness commit and what each sandbox of a cell ran on: docker and apptainer images as
 * pinned by digest, otherwise the host's reference (asked once for both). Asked while the
 * agent runs (git and the tools' --version take a moment), read when the result is written.
 */
export async function cellProvenance(
  engineDir: string,
  runtime: RuntimeKind,
  images: { agent: string | null; evaluation: string | null },
): Promise<Provenance> {
  const pinned = (image: string | null): image is string => runtime !== 'bwrap' && Boolean(image);
  const [commit, host] = await Promise.all([
    harnessCommit(engineDir),
    pinned(images.agent) && pinned(images.evaluation) ? null : hostReference(),
  ]);
  const reference = (image: string | null) => (pinned(image) ? image : (host as string));
  return { harnessCommit: commit, images: { agent: reference(images.agent), evaluation: reference(images.evaluation) } };
}
