import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleActions } from '../src/bundle.ts';
import { STICKY_MARKER } from '../src/sticky.ts';
import { BOT, GitHubStandIn } from './support/github-standin.ts';
import {
  makeRepo,
  manifestYaml,
  pullRequestEvent,
  removeTempDirs,
  runBundled,
  type TestRepo,
  tempDir,
} from './support/harness.ts';

let gh: GitHubStandIn;
let repo: TestRepo;
let bundle: string;

beforeAll(async () => {
  [bundle = ''] = await bundleActions(['submission'], tempDir('bundle'));
  gh = await GitHubStandIn.start();
  repo = await makeRepo();
  gh.permissions.set('maintainer', 'write');
}, 60_000);
afterAll(async () => {
  await gh.close();
  repo.cleanup();
  removeTempDirs();
});
afterEach(() => {
  // Every request body and every response checked against GitHub's OpenAPI description.
  const found = gh.violations.splice(0);
  expect(found).toEqual([]);
});

const check = (pr: number, author: string, action: 'opened' | 'synchronize' = 'opened') =>
  runBundled(bundle, {
    eventName: 'pull_request_target',
    event: pullRequestEvent(action, { number: pr, headSha: gh.pulls.get(pr)?.headSha ?? '', author }),
    inputs: { token: 'ghs_test' },
    api: gh.url,
    workspace: repo.root,
  });

describe('submission action (pull_request_target), end to end against the GitHub stand-in', { timeout: 60_000 }, () => {
  it('valid PR: posts the run plan in one sticky comment, a green check run and the job summary', async () => {
    const head = gh.push(1, 'ada', { 'submissions/ada-agent/submission.yaml': manifestYaml('ada-agent', 'ada', 3) });
    const run = await check(1, 'ada');
    expect(run.code, run.output).toBe(0);
    expect(run.outputs.verdict).toBe('valid');
    expect(run.outputs['submission-id']).toBe('ada-agent');
    const [comment, ...more] = gh.botComments(1);
    expect(more).toHaveLength(0);
    expect(comment?.body.startsWith(STICKY_MARKER)).toBe(true);
    expect(comment?.body).toContain('| cells | 84 = 3 seeds × 4 base models × 7 benchmarks |');
    expect(comment?.body).toContain('| GPU-hours | 840 |');
    expect(comment?.body).toContain('| runner labels | `gpu-h100` |');
    expect(comment?.body).toContain(`    /ptb run ${head}`);
    // 84 cells on a fleet of 8: 11 waves of (10 h budget + 1 h overhead).
    expect(comment?.body).toContain('121 h (5.0 days): 11 waves of up to 8 cells on a fleet of 8');
    expect(run.summary).toContain('Run plan');
    const checkRun = gh.checkRuns.at(-1);
    expect(checkRun).toMatchObject({ name: 'ptb / submission', head_sha: head, conclusion: 'success' });
    // The manifest was read through the API at the head SHA, as data.
    expect(gh.requests.some((r) => r.operationId === 'repos/get-content' && r.path.endsWith('submission.yaml'))).toBe(true);
  });

  it('second push: the same sticky comment is edited to show errors with file, line, field and hint', async () => {
    gh.push(1, 'ada', {
      'submissions/ada-agent/submission.yaml': manifestYaml('ada-agent', 'ada', 3).replace('claude-code', 'claude-cod'),
    });
    const run = await check(1, 'ada', 'synchronize');
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('invalid');
    const comments = gh.botComments(1);
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? '';
    expect(body).toContain('`submissions/ada-agent/submission.yaml:8:13` field `agent.scaffold`');
    expect(body).toContain('did you mean "claude-code"?');
    expect(body).toMatch(/hint: /);
    expect(body).not.toContain('Run plan');
    expect(gh.requests.filter((r) => r.operationId === 'issues/update-comment')).toHaveLength(1);
    expect(gh.checkRuns.at(-1)).toMatchObject({ conclusion: 'failure' });
  });

  it('refuses a PR that touches .github/ without reading its manifest', async () => {
    gh.push(2, 'eve', {
      'submissions/eve-agent/submission.yaml': manifestYaml('eve-agent', 'eve'),
      '.github/workflows/evaluate.yml': 'on: push',
    });
    const before = gh.requests.length;
    const run = await check(2, 'eve');
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('refused');
    const body = gh.botComments(2)[0]?.body ?? '';
    expect(body).toContain('cannot be evaluated');
    expect(body).toContain('`.github/workflows/evaluate.yml`');
    expect(body).toContain('Changes to `.github/` are never accepted');
    expect(gh.requests.slice(before).some((r) => r.operationId === 'repos/get-content')).toBe(false);
  });

  it('refuses a PR that touches two submission folders', async () => {
    gh.push(3, 'eve', {
      'submissions/eve-a/submission.yaml': manifestYaml('eve-a', 'eve'),
      'submissions/eve-b/submission.yaml': manifestYaml('eve-b', 'eve'),
    });
    const run = await check(3, 'eve');
    expect(run.outputs.verdict).toBe('refused');
    expect(gh.botComments(3)[0]?.body).toContain('touches 2 submission folders');
  });

  it("refuses a PR that edits another submitter's folder", async () => {
    gh.setFile('main', 'submissions/ada-owned/submission.yaml', manifestYaml('ada-owned', 'ada'));
    gh.push(4, 'mallory', { 'submissions/ada-owned/submission.yaml': manifestYaml('ada-owned', 'mallory') });
    const run = await check(4, 'mallory');
    expect(run.outputs.verdict).toBe('refused');
    expect(gh.botComments(4)[0]?.body).toContain('belongs to @ada');
  });

  it('a new folder must name the PR author as contact.github', async () => {
    gh.push(5, 'eve', { 'submissions/eve-c/submission.yaml': manifestYaml('eve-c', 'someone-else') });
    const run = await check(5, 'eve');
    expect(run.outputs.verdict).toBe('invalid');
    expect(gh.botComments(5)[0]?.body).toContain('field `contact.github`');
  });

  it('refuses a benchmark definition that is still a draft', async () => {
    const v1 = readFileSync(join(repo.root, 'actions/core/definitions/v1.yaml'), 'utf8');
    writeFileSync(
      join(repo.root, 'actions/core/definitions/v2.yaml'),
      v1.replace(/^version: v1$/m, 'version: v2').replace(/^status: current$/m, 'status: draft'),
    );
    gh.push(7, 'ada', { 'submissions/ada-seven/submission.yaml': manifestYaml('ada-seven', 'ada', 1, 'benchmarkVersion: v2\n') });
    const run = await check(7, 'ada');
    expect(run.outputs.verdict).toBe('invalid');
    expect(gh.botComments(7)[0]?.body).toContain('is draft; new submissions run on the current definition');
  });

  it('never edits a comment by someone else that copies the hidden marker', async () => {
    gh.push(6, 'ada', { 'submissions/ada-six/submission.yaml': manifestYaml('ada-six', 'ada') });
    const fake = gh.addComment(
      6,
      'mallory',
      `${STICKY_MARKER}\n<!-- ptb:validated head=${'a'.repeat(40)} manifest=${'b'.repeat(64)} -->`,
    );
    const run = await check(6, 'ada');
    expect(run.code, run.output).toBe(0);
    expect(gh.comments.find((c) => c.id === fake)?.login).toBe('mallory');
    expect(gh.requests.some((r) => r.operationId === 'issues/update-comment' && r.path.endsWith(`/${fake}`))).toBe(false);
    expect(gh.botComments(6)).toHaveLength(1);
    expect(gh.botComments(6)[0]?.login).toBe(BOT);
  });

  it('fails with a clear message on an event it does not handle', async () => {
    const run = await runBundled(bundle, {
      eventName: 'push',
      event: { ref: 'refs/heads/main' },
      inputs: { token: 't' },
      api: gh.url,
      workspace: repo.root,
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain('this action handles pull_request_target events');
  });
});
