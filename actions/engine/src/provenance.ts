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
 * What the sandbox ran on, as a digest reference. docker/apptainer: the image reference
 * pinned by digest. bwrap has no image: it runs the host OS read-only, so the digest
 * identifies the host (os-release and tool versions) under the `host/bwrap` name.
 */
export async function imageReference(runtime: RuntimeKind, image: string | null): Promise<string> {
  if (runtime !== 'bwrap' && image) return image;
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const identity = [osRelease, ...(await Promise.all([version('bwrap'), version('python3'), version('socat', '-V')]))].join('\n');
  return `host/bwrap@sha256:${sha256(identity)}`;
}

export interface Provenance {
  harnessCommit: string;
  images: { agent: string; evaluation: string };
}

/**
 * The harness commit and the sandboxes' image references of a cell. Asked while the cell is
 * set up and the agent runs (git and the tools' --version take a moment), read when the
 * result is written.
 */
export async function cellProvenance(
  engineDir: string,
  runtime: RuntimeKind,
  images: { agent: string | null; evaluation: string | null },
): Promise<Provenance> {
  const [commit, agent, evaluation] = await Promise.all([
    harnessCommit(engineDir),
    imageReference(runtime, images.agent),
    imageReference(runtime, images.evaluation),
  ]);
  return { harnessCommit: commit, images: { agent, evaluation } };
}
