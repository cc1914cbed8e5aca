import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleActions } from '../src/bundle.ts';
import { runCellJob } from '../src/cell-flow.ts';
import { CliCellRunner } from '../src/cell-runner.ts';
import type { CellSpec } from '../src/cells.ts';
import { loadConfig } from '../src/config.ts';
import { GitHub } from '../src/github.ts';
import { createOctokit } from '../src/octokit.ts';
import { GitHubStandIn } from './support/github-standin.ts';
import {
  commentEvent,
  FAKE_PTB,
  makeRepo,
  manifestYaml,
  pullRequestEvent,
  runBundled,
  type TestRepo,
  tempDir,
} from './support/harness.ts';

// The whole evaluate path for one PR: approve (comment or label) -> cells (the evaluate
// action's bundle for some, the same library with the same `ptb run` stand-in process for
// the rest) -> report (durable store on a results branch of a real bare remote, then the
// sticky comment) -> retries, re-runs, cancel and a push after approval.

let gh: GitHubStandIn;
let repo: TestRepo;
const bundles: Record<string, string> = {};
const PR = 10;
let head = '';
const artifacts = tempDir('artifacts');

beforeAll(async () => {
  const names = ['submission', 'approve', 'evaluate', 'report'];
  const built = await bundleActions(names, tempDir('bundle'));
  names.forEach((n, i) => {
    bundles[n] = built[i] ?? '';
  });
  gh = await GitHubStandIn.start();
  repo = await makeRepo();
  gh.permissions.set('maintainer', 'write');
  gh.permissions.set('admin-person', 'admin');
  gh.permissions.set('stranger', 'read');
  head = gh.push(PR, 'ada', { 'submissions/ada-agent/submission.yaml': manifestYaml('ada-agent', 'ada', 1) });
  const checked = await action(
    'submission',
    'pull_request_target',
    pullRequestEvent('opened', { number: PR, headSha: head, author: 'ada' }),
  );
  expect(checked.code, checked.output).toBe(0);
}, 60_000);
afterAll(async () => {
  await gh.close();
  repo.cleanup();
});
afterEach(() => {
  gh.clearFaults();
  expect(gh.violations.splice(0)).toEqual([]);
});

function action(
  name: string,
  eventName: string,
  event: unknown,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
) {
  return runBundled(bundles[name] ?? '', {
    eventName,
    event,
    inputs: { token: 'ghs_test', ...inputs },
    api: gh.url,
    workspace: repo.root,
    env,
  });
}

const comment = (login: string, body: string) => action('approve', 'issue_comment', commentEvent(PR, login, body));
const status = () =>
  /<!-- ptb:section:status -->([\s\S]*?)<!-- ptb:end:status -->/.exec(gh.botComments(PR)[0]?.body ?? '')?.[1] ?? '';
const scores = () =>
  /<!-- ptb:section:scores -->([\s\S]*?)<!-- ptb:end:scores -->/.exec(gh.botComments(PR)[0]?.body ?? '')?.[1] ?? '';

interface Approved {
  pr: string;
  'head-sha': string;
  'manifest-sha256': string;
  'submission-id': string;
  'definition-version': string;
  matrix: string;
}
let approved: Approved;

const remoteGit = () => simpleGit(repo.remote);
const storeCommits = async () => Number((await remoteGit().raw(['rev-list', '--count', 'ptb-results'])).trim());
const storedFiles = async () =>
  (await remoteGit().raw(['ls-tree', '-r', '--name-only', 'ptb-results'])).split('\n').filter(Boolean);

async function runCellAction(cell: CellSpec, pin: Approved, env: Record<string, string> = {}, base = artifacts) {
  const out = join(base, cell.artifact);
  const run = await action(
    'evaluate',
    'issue_comment',
    {},
    {
      pr: pin.pr,
      'head-sha': pin['head-sha'],
      'manifest-sha256': pin['manifest-sha256'],
      'submission-id': pin['submission-id'],
      'definition-version': pin['definition-version'],
      cell: JSON.stringify(cell),
      'out-dir': out,
      'ptb-command': `${process.execPath} ${FAKE_PTB}`,
    },
    env,
  );
  return { run, out };
}

function report(pin: Approved, dir: string) {
  return action(
    'report',
    'issue_comment',
    {},
    {
      pr: pin.pr,
      'head-sha': pin['head-sha'],
      'manifest-sha256': pin['manifest-sha256'],
      'submission-id': pin['submission-id'],
      matrix: pin.matrix,
      'artifacts-dir': dir,
    },
  );
}

describe('evaluate path, end to end against the GitHub stand-in and a local git remote', { timeout: 120_000 }, () => {
  it("refuses a stranger's /ptb run (permission checked through the API)", async () => {
    const run = await comment('stranger', '/ptb run');
    expect(run.code).toBe(1);
    expect(run.outputs.proceed).toBe('false');
    expect(run.outputs.matrix).toBeUndefined();
    expect(status()).toContain('only maintainers with write access');
    expect(
      gh.requests.some(
        (r) => r.operationId === 'repos/get-collaborator-permission-level' && r.path.endsWith('/stranger/permission'),
      ),
    ).toBe(true);
  });

  it('ignores comments that are not commands, and comments on plain issues', async () => {
    const chat = await comment('stranger', 'looks great!');
    expect(chat.code).toBe(0);
    expect(chat.outputs.proceed).toBe('false');
    const event = commentEvent(PR, 'maintainer', '/ptb run') as { issue: Record<string, unknown> };
    delete event.issue.pull_request;
    const onIssue = await action('approve', 'issue_comment', event);
    expect(onIssue.code).toBe(0);
    expect(onIssue.output).toContain('nothing to do');
  });

  it('answers an unknown command with the list of commands', async () => {
    const run = await comment('maintainer', '/ptb launch');
    expect(run.code).toBe(1);
    expect(status()).toContain('unknown command');
  });

  it("accepts a maintainer's /ptb run: pins the head and plans 28 cells (through a secondary rate limit)", async () => {
    gh.failNext('pulls/get', { status: 403, kind: 'secondary-rate-limit' });
    const run = await comment('maintainer', '/ptb run');
    expect(
      gh.requests
        .filter((r) => r.operationId === 'pulls/get')
        .slice(-2)
        .map((r) => r.status),
    ).toEqual([403, 200]);
    expect(run.code, run.output).toBe(0);
    expect(run.outputs.proceed).toBe('true');
    expect(run.outputs['head-sha']).toBe(head);
    expect(run.outputs.count).toBe('28');
    expect(run.outputs['max-parallel']).toBe('8');
    const matrix = JSON.parse(run.outputs.matrix ?? '{}') as { include: CellSpec[] };
    expect(matrix.include).toHaveLength(28);
    expect(matrix.include[0]).toMatchObject({ id: 'Qwen3-1.7B-Base/aime2025/1', baseModel: 'Qwen/Qwen3-1.7B-Base', seed: 1 });
    expect(status()).toContain('Approved by @maintainer');
    approved = run.outputs as unknown as Approved;
  });

  it('runs cells: a good one and a flagged one through the action, a failed one (exit 3) leaves no result', async () => {
    const cells = (JSON.parse(approved.matrix) as { include: CellSpec[] }).include;
    const gsm = cells.find((c) => c.id === 'Qwen3-4B-Base/gsm8k/1') as CellSpec;
    const good = await runCellAction(cells[0] as CellSpec, approved);
    expect(good.run.code, good.run.output).toBe(0);
    expect(good.run.outputs.status).toBe('scored');
    expect(existsSync(join(good.out, 'result.json'))).toBe(true);
    expect(existsSync(join(good.out, 'logs', 'agent.log'))).toBe(true);
    const flagged = await runCellAction(cells.find((c) => c.id === 'Qwen3-4B-Base/bfcl/1') as CellSpec, approved, {
      FAKE_PTB_FLAG: 'bfcl',
    });
    expect(flagged.run.code).toBe(0);
    const failed = await runCellAction(gsm, approved, { FAKE_PTB_INFRA_FAIL: 'gsm8k' });
    expect(failed.run.code).toBe(1);
    expect(failed.run.output).toContain('GPU 0 is not idle');
    expect(existsSync(join(failed.out, 'result.json'))).toBe(false);
    // The other 25 cells through the same library and the same `ptb run` stand-in, in parallel.
    const octokit = createOctokit({ token: 't', baseUrl: gh.url, retryBaseMs: 5 });
    const ctx = {
      gh: new GitHub(octokit, { owner: gh.owner, repo: gh.repo }),
      config: loadConfig(join(repo.root, 'actions/pipeline/config/pipeline.yaml')),
      root: repo.root,
      runUrl: 'https://github.com/x/y/actions/runs/1',
      runId: 1,
      log: () => {},
    };
    const runner = new CliCellRunner({ command: [process.execPath, FAKE_PTB] });
    const rest = cells.filter((c) => ![cells[0]?.id, gsm.id, 'Qwen3-4B-Base/bfcl/1'].includes(c.id));
    expect(rest).toHaveLength(25);
    await Promise.all(
      rest.map((cell) =>
        runCellJob(
          ctx,
          {
            prNumber: PR,
            headSha: approved['head-sha'],
            manifestSha256: approved['manifest-sha256'],
            submissionId: 'ada-agent',
            definitionVersion: 'v1',
            cell,
            workDir: tempDir('work'),
            outDir: join(artifacts, cell.artifact),
          },
          runner,
        ),
      ),
    );
  });

  it('report: stores results durably, then survives a 5xx and a rate limit on the comment API', async () => {
    gh.failNext('issues/update-comment', { status: 502 }, { status: 403, kind: 'rate-limit' });
    const run = await report(approved, artifacts);
    expect(run.outputs.stored, run.output).toBe('27');
    expect(run.outputs.pending).toBe('1');
    expect(run.code).toBe(1); // one cell failed: the job says so
    expect(await storedFiles()).toHaveLength(27);
    const s = scores();
    expect(s).toContain('**Weighted score:');
    expect(s).toMatch(/would rank \*\*#\d+ of \d+\*\*/);
    expect(s).toContain('| Qwen3-4B-Base |');
    expect(s).toContain('**Baselines:**');
    expect(s).toContain('egress-denied');
    expect(s).toContain('Qwen3-4B-Base/gsm8k/1: the job ended without a result');
    expect(s).toContain('`/ptb retry Qwen3-4B-Base/gsm8k/1`');
    expect(run.summary).toContain('**Weighted score:');
    expect(gh.checkRuns.at(-1)).toMatchObject({ name: 'ptb / evaluate', conclusion: 'failure' });
    const updates = gh.requests
      .filter((r) => r.operationId === 'issues/update-comment')
      .slice(-3)
      .map((r) => r.status);
    expect(updates).toEqual([502, 403, 200]);
  });

  it('/ptb retry <cell> runs only that cell; with the comment API down its result is stored anyway, and a re-run posts it', async () => {
    const run = await comment('admin-person', '/ptb retry Qwen3-4B-Base/gsm8k/1');
    expect(run.code, run.output).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix ?? '{}') as { include: CellSpec[] };
    expect(matrix.include.map((c) => c.id)).toEqual(['Qwen3-4B-Base/gsm8k/1']);
    const dir = tempDir('retry');
    const cell = matrix.include[0] as CellSpec;
    const { run: cellRun } = await runCellAction(cell, run.outputs as unknown as Approved, {}, dir);
    expect(cellRun.code, cellRun.output).toBe(0);
    const commits = await storeCommits();
    const before = scores();
    // More 5xx than the retry plugin's 4 retries: the comment cannot be posted.
    gh.failNext('issues/update-comment', ...Array.from({ length: 6 }, () => ({ status: 503 })));
    const failing = await report(run.outputs as unknown as Approved, dir);
    expect(failing.code).toBe(1);
    expect(failing.output).toMatch(/Server Error/);
    expect(await storedFiles()).toHaveLength(28);
    expect(await storeCommits()).toBe(commits + 1);
    expect(scores()).toBe(before);
    const again = await report(run.outputs as unknown as Approved, dir);
    expect(again.code, again.output).toBe(0);
    expect(again.outputs).toMatchObject({ stored: '28', pending: '0' });
    expect(await storeCommits()).toBe(commits + 1);
    expect(scores()).not.toContain('did not finish');
    expect(scores()).not.toContain('provisional');
    expect(gh.botComments(PR)).toHaveLength(1);
    expect(gh.checkRuns.at(-1)).toMatchObject({ conclusion: 'success' });
  });

  it('a second /ptb run of the same SHA runs nothing and changes nothing', async () => {
    const commits = await storeCommits();
    const run = await comment('maintainer', `/ptb run ${head.slice(0, 7)}`);
    expect(run.code, run.output).toBe(0);
    expect(run.outputs.count).toBe('0');
    expect(status()).toContain('All cells already have stored results');
    const empty = tempDir('empty');
    mkdirSync(empty, { recursive: true });
    const updatesBefore = gh.requests.filter((r) => r.operationId === 'issues/update-comment').length;
    const rep = await report(run.outputs as unknown as Approved, empty);
    expect(rep.code, rep.output).toBe(0);
    expect(await storeCommits()).toBe(commits);
    // The scores section is byte-identical, so only the status update above touched the comment.
    expect(gh.requests.filter((r) => r.operationId === 'issues/update-comment').length).toBe(updatesBefore);
  });

  it('the approve label works for maintainers and is refused for others', async () => {
    const byStranger = await action(
      'approve',
      'pull_request_target',
      pullRequestEvent('labeled', { number: PR, headSha: head, author: 'ada', sender: 'stranger' }),
    );
    expect(byStranger.code).toBe(1);
    const other = await action(
      'approve',
      'pull_request_target',
      pullRequestEvent('labeled', { number: PR, headSha: head, author: 'ada', sender: 'maintainer', label: 'bug' }),
    );
    expect(other.outputs.proceed).toBe('false');
    const ok = await action(
      'approve',
      'pull_request_target',
      pullRequestEvent('labeled', { number: PR, headSha: head, author: 'ada', sender: 'maintainer' }),
    );
    expect(ok.code, ok.output).toBe(0);
    expect(ok.outputs.proceed).toBe('true');
  });

  it('a push after approval is refused: by the cell job, and by a new /ptb run until the bot re-validates', async () => {
    const pin = (await comment('maintainer', '/ptb retry Qwen3-1.7B-Base/aime2025/1')).outputs as unknown as Approved;
    const newHead = gh.push(PR, 'ada', {
      'submissions/ada-agent/submission.yaml': manifestYaml('ada-agent', 'ada', 1, 'links: []\n'),
    });
    const cell = (JSON.parse(pin.matrix) as { include: CellSpec[] }).include[0] as CellSpec;
    const { run, out } = await runCellAction(cell, pin, {}, tempDir('after-push'));
    expect(run.code).toBe(1);
    expect(run.output).toContain('manifest changed after approval');
    expect(existsSync(join(out, 'cell.json'))).toBe(false);
    const again = await comment('maintainer', '/ptb run');
    expect(again.code).toBe(1);
    expect(status()).toContain('the manifest changed after the plan shown here');
    const stale = await comment('maintainer', `/ptb run ${head.slice(0, 8)}`);
    expect(stale.code).toBe(1);
    expect(status()).toContain(`the PR head is now \`${newHead.slice(0, 7)}\``);
  });

  it('/ptb cancel cancels the running evaluations of this PR only', async () => {
    gh.workflowRuns.push(
      { id: 77, title: `ptb evaluate #${PR}`, status: 'in_progress' },
      { id: 78, title: 'ptb evaluate #11', status: 'in_progress' },
      { id: 79, title: `ptb evaluate #${PR}`, status: 'completed' },
      { id: 4242, title: `ptb evaluate #${PR}`, status: 'in_progress' },
    );
    const byStranger = await comment('stranger', '/ptb cancel');
    expect(byStranger.code).toBe(1);
    expect(gh.cancelled).toEqual([]);
    const run = await comment('maintainer', '/ptb cancel');
    expect(run.code, run.output).toBe(0);
    expect(gh.cancelled).toEqual([77]);
    expect(status()).toContain('cancelled 1 evaluation run');
  });
});
