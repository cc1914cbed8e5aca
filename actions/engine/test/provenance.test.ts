import { afterAll, expect, test } from 'vitest';
import { cellProvenance, harnessCommit } from '../src/provenance.ts';
import { cleanupTempDirs, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

const outsideGit = () => tempDir('no-git');

test('the harness commit comes from git, from PTB_HARNESS_COMMIT for a copy without .git, else zeros', async () => {
  expect(await harnessCommit(process.cwd(), {})).toMatch(/^[a-f0-9]{40}$/);
  expect(await harnessCommit(outsideGit(), {})).toBe('0'.repeat(40));
  const commit = 'ab'.repeat(20);
  expect(await harnessCommit(outsideGit(), { PTB_HARNESS_COMMIT: commit })).toBe(commit);
  expect(await harnessCommit(outsideGit(), { PTB_HARNESS_COMMIT: 'not-a-commit' })).toBe('0'.repeat(40));
});

test('the images of a cell: pinned references as given; under bwrap one digest of the host for both sandboxes', async () => {
  const pinned = `ghcr.io/x/agent@sha256:${'a'.repeat(64)}`;
  const docker = await cellProvenance(process.cwd(), 'docker', { agent: pinned, evaluation: `${pinned}0` });
  expect(docker.images).toEqual({ agent: pinned, evaluation: `${pinned}0` });
  expect(docker.harnessCommit).toMatch(/^[a-f0-9]{40}$/);
  const bwrap = await cellProvenance(process.cwd(), 'bwrap', { agent: null, evaluation: null });
  expect(bwrap.images.agent).toMatch(/^host\/bwrap@sha256:[a-f0-9]{64}$/);
  expect(bwrap.images.evaluation).toBe(bwrap.images.agent);
});
