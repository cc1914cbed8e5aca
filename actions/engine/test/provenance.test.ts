import { afterAll, expect, test } from 'vitest';
import { harnessCommit } from '../src/provenance.ts';
import { cleanupTempDirs, tempDir } from './helpers.ts';

afterAll(cleanupTempDirs);

const outsideGit = () => tempDir('no-git');

test('the harness commit comes from git, from PTB_HARNESS_COMMIT for a copy without .git, else zeros', () => {
  expect(harnessCommit(process.cwd(), {})).toMatch(/^[a-f0-9]{40}$/);
  expect(harnessCommit(outsideGit(), {})).toBe('0'.repeat(40));
  const commit = 'ab'.repeat(20);
  expect(harnessCommit(outsideGit(), { PTB_HARNESS_COMMIT: commit })).toBe(commit);
  expect(harnessCommit(outsideGit(), { PTB_HARNESS_COMMIT: 'not-a-commit' })).toBe('0'.repeat(40));
});
