import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleActions } from '../src/bundle.ts';
import { runCellJob } from '../src/cell-flow.ts';
import { CliCellRunner } from '../src/cell-runner.ts';
import { loadConfig } from '../src/config.ts';
import { tick } from '../src/dispatch-flow.ts';
import { GitHub } from '../src/github.ts';
import { createOctokit } from '../src/octokit.ts';
import { cellRunTitle, parseCellRunTitle } from '../src/queue.ts';
import { report, storeCell } from '../src/report-flow.ts';
import { GitResultsStore } from '../src/store.ts';
import { GitHubStandIn } from './support/github-standin.ts';
import {
  commentEvent,
  dispatchEvent,
  FAKE_PTB,
  makeRepo,
  manifestYaml,
  pullRequestEvent,
  REPO_ROOT,
  removeTempDirs,
  type TestRepo,
  tempDir,
} from './support/harness.ts';
import { ArtifactStore, type JobRun, runJob } from './support/run-job.ts';
import { type EventInput, loadWorkflow, runName, triggers, type WorkflowModel } from './support/workflow-model.ts';

// The evaluate path for one PR, through the workflow files as GitHub reads them: each event is a
// real webhook payload, GitHub's parser and evaluator decide which jobs run and what our actions
// get, and the action bundles run with exactly that, against the GitHub stand-in (OpenAPI-
// checked) and a real git remote. Approve (comment or label, bound to a SHA) -> one review ->
// enqueue -> the dispatcher's waves -> cell runs (the `ptb run` stand-in) -> store before any
// API call -> report -> retry, re-run from the UI, cancel, and a push after approval.

let gh: GitHubStandIn;
let repo: TestRepo;
const artifacts = new ArtifactStore();
const bundles: Record<string, string> = {};
const wf: Record<string, WorkflowModel> = {};
const PR = 10;
let head = '';
const node = process.execPath;

beforeAll(async () => {
  const names = ['submission', 'approve', 'dispatch', 'evaluate', 'report'];
  const built = await bundleActions(names, tempDir('bundle'));
  names.forEach((n, i) => {
    bundles[n] = built[i] ?? '';
  });
  for (const f of ['submission.yml', 'evaluate.yml', 'cell.yml'])
    wf[f] = await loadWorkflow(f, readFileSync(join(REPO_ROOT, '.github/workflows', f), 'utf8'));
  gh = await GitHubStandIn.start();
  // A dispatch creates the run GitHub would: its name is cell.yml's run-name, evaluated.
  gh.runTitle = (workflow, inputs) =>
    workflow === 'cell.yml' ? runName(wf['cell.yml'] as WorkflowModel, { name: 'workflow_dispatch', payload: {}, inputs }) : null;
  // A fleet of 4 GPUs: 28 cells in 7 waves.
  repo = await makeRepo({ fleetSize: 4 });
  gh.permissions.set('maintainer', 'write');
  gh.permissions.set('admin-person', 'admin');
  gh.permissions.set('triager', 'triage');
  head = gh.push(PR, 'ada', { 'submissions/ada-agent/submission.yaml': manifestYaml('ada-agent', 'ada', 1) });
  const checked = await job('submission.yml', 'check', {
    name: 'pull_request_target',
    payload: pullRequestEvent('opened', { number: PR, headSha: head, author: 'ada', fork: true }),
  });
  expect(checked.result, checked.actions[0]?.run.output).toBe('success');
}, 120_000);
afterAll(async () => {
  await gh.close();
  repo.cleanup();
  artifacts.cleanup();
  removeTempDirs();
});
afterEach(() => {
  gh.clearFaults();
  expect(gh.violations.splice(0)).toEqual([]);
});

const opts = (needs: Record<string, { result: string; outputs: Record<string, string> }> = {}, ptbFlags = '') => ({
  bundles,
  api: gh.url,
  workspace: repo.root,
  artifacts,
  needs,
  ptbCommand: `${node} ${FAKE_PTB}${ptbFlags ? ` ${ptbFlags}` : ''}`,
  // What a runner machine may have set: none of it may reach `ptb run`.
  machineEnv: { OPENAI_API_KEY: 'sk-host-key-must-not-leak', ACTIONS_RUNTIME_TOKEN: 'runtime-token-must-not-leak' },
});

function job(file: string, id: string, ev: EventInput, needs = {}, ptbFlags = ''): Promise<JobRun> {
  return runJob(wf[file] as WorkflowModel, id, ev, opts(needs, ptbFlags));
}

const done = (r: JobRun) => ({ result: r.result, outputs: r.outputs });
let runCounter = 500;

/** One evaluate.yml run for an event: approve, then review, enqueue, dispatch or cancel as the workflow says. */
async function evaluateRun(ev: EventInput) {
  const e = { ...ev, runId: ev.runId ?? ++runCounter };
  const started = triggers(wf['evaluate.yml'] as WorkflowModel, e.name, e.payload);
  const approve = await job('evaluate.yml', 'approve', e);
  const review = await job('evaluate.yml', 'review', e, { approve: done(approve) });
  const enqueue = await job('evaluate.yml', 'enqueue', e, { approve: done(approve), review: done(review) });
  const dispatch = await job('evaluate.yml', 'dispatch', e, { enqueue: done(enqueue) });
  const cancel = await job('evaluate.yml', 'cancel', e, { approve: done(approve) });
  return { started, approve, review, enqueue, dispatch, cancel };
}

const comment = (login: string, body: string, association = 'MEMBER') =>
  evaluateRun({ name: 'issue_comment', payload: commentEvent(PR, login, body, association) });

const queuedCells = () => gh.workflowRuns.filter((r) => r.workflow === 'cell.yml' && r.status === 'queued');

type Run = { id: number; title: string; inputs?: Record<string, string>; status: string };
const cellEvent = (run: Run, attempt = 1): EventInput => ({
  name: 'workflow_dispatch',
  payload: dispatchEvent(run.inputs ?? {}),
  inputs: run.inputs ?? {},
  runId: run.id,
  runAttempt: attempt,
});

/** The GPU job and the store job of one cell.yml run the dispatcher started. */
async function cellAndStore(run: Run, attempt = 1, ptbFlags = '') {
  run.status = 'in_progress';
  const ev = cellEvent(run, attempt);
  const cell = await job('cell.yml', 'cell', ev, {}, ptbFlags);
  const store = await job('cell.yml', 'store', ev, { cell: done(cell) });
  run.status = 'completed';
  return { cell, store };
}

/** One whole cell.yml run: GPU job, store job, then the next tick (the dispatch group runs one at a time). */
async function cellRun(run: Run, attempt = 1, ptbFlags = '') {
  const { cell, store } = await cellAndStore(run, attempt, ptbFlags);
  const next = await job('cell.yml', 'next', cellEvent(run, attempt), { store: done(store) });
  return { cell, store, next };
}

/**
 * Runs every cell the dispatcher started until the queue is empty. The first wave goes through
 * the workflow files and the bundles (GPU job, store job, next tick, one after another as the
 * ptb-dispatch group runs ticks); later waves run the same library functions in this process
 * (the same `ptb run` stand-in, store and dispatcher), which keeps the test's time reasonable.
 */
async function drain(ptbFlags = '') {
  const waves: number[] = [];
  const failed: string[] = [];
  const first = [...queuedCells()];
  waves.push(first.length);
  for (const run of first) {
    const r = await cellRun(run, 1, ptbFlags);
    if (r.store.result !== 'success') failed.push(`${run.title}: ${r.store.actions[0]?.run.output.slice(-300)}`);
  }
  const ctx = flowContext();
  const store = new GitResultsStore({ repoDir: repo.root, branch: 'ptb-results' });
  for (let w = 0; w < 10 && queuedCells().length > 0; w++) {
    const wave = [...queuedCells()];
    waves.push(wave.length);
    const outs = await Promise.all(
      wave.map(async (run) => {
        run.status = 'in_progress';
        const out = tempDir('out');
        const inputs = run.inputs ?? {};
        const runner = new CliCellRunner({
          command: [node, FAKE_PTB, ptbFlags].filter(Boolean),
          env: { PATH: process.env.PATH ?? '' },
        });
        await runCellJob(
          ctx,
          {
            approvalId: inputs.approval ?? '',
            prNumber: Number(inputs.pr),
            headSha: inputs['head-sha'] ?? '',
            manifestSha256: inputs['manifest-sha256'] ?? '',
            submissionId: inputs['submission-id'] ?? '',
            definitionVersion: inputs['definition-version'] ?? '',
            cellId: inputs.cell ?? '',
            runId: run.id,
            runAttempt: 1,
            workDir: tempDir('work'),
            outDir: out,
          },
          store,
          runner,
        ).catch(() => undefined);
        return out;
      }),
    );
    for (const [i, run] of wave.entries()) {
      const inputs = run.inputs ?? {};
      const { outcome } = await storeCell(
        {
          approvalId: inputs.approval ?? '',
          cellId: inputs.cell ?? '',
          runId: run.id,
          runAttempt: 1,
          artifactDir: outs[i] ?? '',
          defaultBranch: 'main',
        },
        store,
      );
      if (outcome.status !== 'stored') failed.push(`${run.title}: ${outcome.reason}`);
      run.status = 'completed';
    }
    const entry = await store.approval(wave[0]?.inputs?.approval ?? '');
    if (entry) await report(ctx, entry.approval, store, [], 'main', async () => {}, ctx.runUrl);
    await tick(ctx, store, 'main', async () => {});
  }
  return { waves, failed };
}

function flowContext() {
  return {
    gh: new GitHub(createOctokit({ token: 't', baseUrl: gh.url, retryBaseMs: 5 }), { owner: gh.owner, repo: gh.repo }),
    config: loadConfig(join(repo.root, 'actions/pipeline/config/pipeline.yaml')),
    root: repo.root,
    runUrl: 'https://github.com/ptb-org/leaderboard/actions/runs/1',
    runId: 1,
    log: () => {},
  };
}

const section = (name: string) =>
  new RegExp(`<!-- ptb:section:${name} -->([\\s\\S]*?)<!-- ptb:end:${name} -->`).exec(gh.botComments(PR)[0]?.body ?? '')?.[1] ??
  '';
const remote = () => simpleGit(repo.remote);
const storedResults = async () =>
  (await remote().raw(['ls-tree', '-r', '--name-only', 'ptb-results', 'ada-agent/'])).split('\n').filter(Boolean);

describe('evaluate, through the workflows as GitHub runs them', { timeout: 300_000 }, () => {
  it("a stranger's `/ptb run` starts no job and costs no API call", async () => {
    const before = gh.requests.length;
    const run = await comment('stranger', `/ptb run ${head}`, 'NONE');
    expect(run.started).toBe(true);
    expect(run.approve.ran).toBe(false);
    expect(gh.requests.length).toBe(before);
  });

  it('an approval must name the full head SHA; a triager is refused without a word in the PR', async () => {
    const bare = await comment('maintainer', '/ptb run');
    expect(bare.approve.result).toBe('failure');
    expect(bare.review.ran).toBe(false);
    expect(section('status')).toContain('full 40-character SHA');
    const comments = gh.requests.filter((r) => r.operationId.startsWith('issues/')).length;
    const triager = await comment('triager', `/ptb run ${head}`, 'COLLABORATOR');
    expect(triager.approve.result).toBe('failure');
    expect(triager.approve.actions[0]?.run.output).toContain('only maintainers with write access');
    expect(gh.requests.filter((r) => r.operationId.startsWith('issues/')).length).toBe(comments);
  });

  it('`/ptb run <sha>`: one review, then the dispatcher feeds 28 cells in waves of the fleet (4); results stored, one failure recorded', async () => {
    const run = await comment('maintainer', `/ptb run ${head}`);
    expect(run.approve.result, run.approve.actions[0]?.run.output).toBe('success');
    expect(run.approve.outputs).toMatchObject({ action: 'run', count: '28' });
    expect(run.review).toMatchObject({ ran: true, result: 'success' });
    expect(run.review.plan.environment).toBe('gpu-evaluation');
    expect(run.enqueue.result, run.enqueue.actions[0]?.run.output).toBe('success');
    expect(run.dispatch.result, run.dispatch.actions[0]?.run.output).toBe('success');
    expect(queuedCells()).toHaveLength(4);
    expect(gh.dispatches.every((d) => d.ref === 'main')).toBe(true);
    // The first cell fails (exit 3) in the first wave, which runs through the workflow files.
    const { waves, failed } = await drain('--infra-fail=Qwen/Qwen3-1.7B-Base/aime2025/1');
    // Only the gsm8k cell fails (its store job records the failure and says so).
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('Qwen3-1.7B-Base/aime2025/1');
    // The first 4, then as cells end the next start: never more than 4 in flight.
    expect(waves.reduce((a, b) => a + b, 0)).toBe(28);
    expect(Math.max(...waves)).toBeLessThanOrEqual(4);
    expect(await storedResults()).toHaveLength(27 + 0);
    const s = section('scores');
    expect(s).toContain('**Weighted score:');
    expect(s).toContain(`retry with \`/ptb retry Qwen3-1.7B-Base/aime2025/1 ${head}\``);
    // The only review asked for: one environment, one job, for all 28 cells.
    expect(run.review.ran).toBe(true);
    expect(gh.checkRuns.at(-1)).toMatchObject({ name: 'ptb / evaluate', conclusion: 'failure' });
  });

  it('`ptb run` starts with a minimal environment: no token, no runner secret, no stray key; the provider keys from the secret', async () => {
    const log = (await remote().raw(['ls-tree', '-r', '--name-only', 'ptb-results']))
      .split('\n')
      .filter((n) => n.startsWith('queue/'));
    expect(log.length).toBeGreaterThan(0);
    // The cell job's env.json is in the artifact of each run that ran the stand-in to the end.
    const file = gh.workflowRuns
      .filter((r) => r.workflow === 'cell.yml' && r.status === 'completed')
      .map((r) => join(artifacts.root, String(r.id), `cell-${r.id}-attempt-1`, 'logs', 'env.json'))
      .find((f) => existsSync(f));
    expect(file).toBeDefined();
    const env = JSON.parse(readFileSync(file ?? '', 'utf8')) as Record<string, string>;
    expect(Object.keys(env)).not.toContain('INPUT_TOKEN');
    expect(Object.keys(env)).not.toContain('ACTIONS_RUNTIME_TOKEN');
    expect(Object.keys(env)).not.toContain('PTB_PROVIDER_KEYS');
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(env.ANTHROPIC_API_KEY).toBe('sk-ant-from-secret');
    expect(env.PATH).toBeTruthy();
  });

  it('a re-run of the failed cell from the UI (attempt 2) uploads beside attempt 1 and its result is stored', async () => {
    const failed = gh.workflowRuns.find(
      (r) => r.workflow === 'cell.yml' && parseCellRunTitle(r.title)?.cellId === 'Qwen3-1.7B-Base/aime2025/1',
    );
    expect(failed).toBeDefined();
    if (!failed) return;
    const again = await cellRun(failed, 2);
    expect(again.cell.result, again.cell.actions[0]?.run.output).toBe('success');
    expect(again.store.result, again.store.actions[0]?.run.output).toBe('success');
    expect(await storedResults()).toHaveLength(28);
    expect(section('scores')).not.toContain('did not finish');
  });

  it("the store job refuses another cell's leftovers, and stores before any API call (a rate limit loses nothing)", async () => {
    // A fresh approval of one cell, whose run finds another cell's result in its out folder.
    const retry = await comment('admin-person', `/ptb retry gemma-3-4b-pt/gsm8k/1 ${head}`);
    expect(retry.dispatch.result, retry.dispatch.actions[0]?.run.output).toBe('success');
    const [run] = queuedCells();
    expect(run).toBeDefined();
    if (!run) return;
    run.status = 'completed';
    const ev: EventInput = {
      name: 'workflow_dispatch',
      payload: dispatchEvent(run.inputs ?? {}),
      inputs: run.inputs ?? {},
      runId: run.id,
    };
    // The GPU job of another cell's run left its folder behind; it is uploaded under this run's name.
    const leftovers = gh.workflowRuns
      .filter((r) => r.workflow === 'cell.yml' && r.id !== run.id && r.status === 'completed')
      .map((r) => join(artifacts.root, String(r.id), `cell-${r.id}-attempt-1`))
      .find((dir) => existsSync(join(dir, 'cell.json')));
    expect(leftovers).toBeDefined();
    artifacts.upload(run.id, `cell-${run.id}-attempt-1`, leftovers ?? '');
    const before = (await storedResults()).length;
    const store = await job('cell.yml', 'store', ev, { cell: { result: 'success', outputs: {} } });
    expect(store.result).toBe('failure');
    expect(store.actions[0]?.run.output).toMatch(/not this cell's/);
    expect((await storedResults()).length).toBe(before);
    // Now the real result, and the API rate-limited throughout the report: stored anyway.
    const run2 = { ...run, id: run.id + 1_000_000, status: 'queued' };
    const pushed = { ...run2, workflow: 'cell.yml', title: run.title };
    gh.workflowRuns.push(pushed);
    const commitsBefore = Number((await remote().raw(['rev-list', '--count', 'ptb-results'])).trim());
    const ev2 = { ...ev, runId: run2.id };
    pushed.status = 'in_progress';
    const cell = await job('cell.yml', 'cell', ev2);
    expect(cell.result, cell.actions[0]?.run.output).toBe('success');
    gh.failNext('repos/get-content', ...Array.from({ length: 12 }, () => ({ status: 403, kind: 'rate-limit' as const })));
    pushed.status = 'completed';
    const stored = await job('cell.yml', 'store', ev2, { cell: done(cell) });
    expect(stored.result).toBe('failure');
    expect(stored.actions[0]?.run.output).toMatch(/rate limit/i);
    expect(Number((await remote().raw(['rev-list', '--count', 'ptb-results'])).trim())).toBe(commitsBefore + 1);
  });

  it('an approval waiting while the submitter pushes a new manifest is refused (28 reviewed, never 84 run)', async () => {
    const approved = head;
    const newHead = gh.push(PR, 'ada', { 'submissions/ada-agent/submission.yaml': manifestYaml('ada-agent', 'ada', 3) });
    // The bot re-validates the push (the plan now says 84 cells) ...
    const recheck = await job('submission.yml', 'check', {
      name: 'pull_request_target',
      payload: pullRequestEvent('synchronize', { number: PR, headSha: newHead, author: 'ada', fork: true }),
    });
    expect(recheck.result).toBe('success');
    // ... then the comment that named the reviewed head finally runs.
    const late = await comment('maintainer', `/ptb run ${approved}`);
    expect(late.approve.result).toBe('failure');
    expect(late.review.ran).toBe(false);
    expect(section('status')).toContain('it moved after the approval');
    // The label added on the old head is refused the same way.
    const label = await evaluateRun({
      name: 'pull_request_target',
      payload: pullRequestEvent('labeled', { number: PR, headSha: approved, author: 'ada', sender: 'maintainer', fork: true }),
    });
    expect(label.approve.ran).toBe(true);
    expect(label.approve.result).toBe('failure');
    // Approving the new head works, and plans the 84 cells of the new manifest.
    const ok = await evaluateRun({
      name: 'pull_request_target',
      payload: pullRequestEvent('labeled', { number: PR, headSha: newHead, author: 'ada', sender: 'maintainer', fork: true }),
    });
    expect(ok.approve.outputs).toMatchObject({ action: 'run', count: '84' });
    head = newHead;
  });

  it('a push after the review stops the approval at the dispatcher; cell runs already started refuse', async () => {
    const started = queuedCells();
    expect(started.length).toBe(4);
    const pushed = gh.push(PR, 'ada', { 'submissions/ada-agent/submission.yaml': manifestYaml('ada-agent', 'ada', 2) });
    const first = started[0];
    if (!first) return;
    const refused = await cellRun(first);
    expect(refused.cell.result).toBe('failure');
    expect(refused.cell.actions[0]?.run.output).toContain('manifest changed after approval');
    expect(refused.next.actions[0]?.run.output).toContain('the manifest changed after approval');
    // Nothing new was started for the stale approval.
    expect(queuedCells().length).toBe(started.length - 1);
    head = pushed;
  });

  it('/ptb cancel cancels the queued cell runs of this PR only, and the approval starts nothing more', async () => {
    gh.workflowRuns.push({
      id: 9001,
      title: cellRunTitle(11, 'x/y/1', 'pr11-run1'),
      status: 'in_progress',
      workflow: 'cell.yml',
    });
    const byContributor = await comment('drive-by', '/ptb cancel', 'CONTRIBUTOR');
    expect(byContributor.approve.ran).toBe(false);
    const run = await comment('maintainer', '/ptb cancel');
    expect(run.approve.outputs.action).toBe('cancel');
    expect(run.cancel.result, run.cancel.actions[0]?.run.output).toBe('success');
    expect(gh.cancelled).not.toContain(9001);
    expect(queuedCells().filter((r) => parseCellRunTitle(r.title)?.prNumber === PR)).toEqual([]);
    expect(section('status')).toContain('cancelled');
    const tick = await job('cell.yml', 'next', {
      name: 'workflow_dispatch',
      payload: dispatchEvent({}),
      inputs: {},
      runId: 7777,
    });
    expect(tick.actions[0]?.run.outputs.started).toBe('0');
  });
});

describe('a result stored after the merge is published', { timeout: 120_000 }, () => {
  it('the store job starts publish.yml when the approved manifest is on main already', async () => {
    // A one-cell approval of a fresh PR whose manifest is merged before its cell ends.
    const pr = 21;
    const yaml = manifestYaml('bob-agent', 'bob', 1);
    const sha = gh.push(pr, 'bob', { 'submissions/bob-agent/submission.yaml': yaml });
    const check = await job('submission.yml', 'check', {
      name: 'pull_request_target',
      payload: pullRequestEvent('opened', { number: pr, headSha: sha, author: 'bob', fork: true }),
    });
    expect(check.result).toBe('success');
    const approve = await evaluateRun({
      name: 'issue_comment',
      payload: commentEvent(pr, 'maintainer', `/ptb retry Qwen3-4B-Base/gsm8k/1 ${sha}`, 'MEMBER'),
    });
    expect(approve.dispatch.result, approve.dispatch.actions[0]?.run.output).toBe('success');
    gh.setFile('main', 'submissions/bob-agent/submission.yaml', yaml);
    const pull = gh.pulls.get(pr);
    if (pull) {
      pull.merged = true;
      pull.state = 'closed';
    }
    const run = queuedCells().find((r) => parseCellRunTitle(r.title)?.prNumber === pr);
    expect(run).toBeDefined();
    if (!run) return;
    const result = await cellRun(run);
    expect(result.store.result, result.store.actions[0]?.run.output).toBe('success');
    expect(gh.dispatches.filter((d) => d.workflow === 'publish.yml')).toEqual([
      { workflow: 'publish.yml', ref: 'main', inputs: {} },
    ]);
  });
});
