// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are GitHub's ${{ }}, not template literals
// The pipeline's contract, checked on the workflows as GitHub reads them (workflow-model.ts):
// for real webhook payloads (fork PR, stranger's comment, maintainer's comment, label, push
// after approval, a PR to another branch), which jobs run, in which concurrency group, with
// which token, in which environment, on which runner, and with which inputs. Returns the
// problems; the mutation test shows each rule catches the breach it is for.
import type { PipelineConfig } from '../../src/config.ts';
import { commentEvent, dispatchEvent, pullRequestEvent } from './harness.ts';
import {
  type EventInput,
  type JobPlan,
  loadWorkflow,
  planJob,
  runConcurrency,
  triggers,
  type WorkflowModel,
} from './workflow-model.ts';

const SHA = 'a'.repeat(40);
const PR = 7;

/** The exact token each job holds: least privilege, written down once. */
export const PERMISSIONS: Record<string, Record<string, Record<string, string>>> = {
  'submission.yml': { check: { contents: 'read', 'pull-requests': 'read', issues: 'write', checks: 'write' } },
  'evaluate.yml': {
    approve: { contents: 'read', 'pull-requests': 'read', issues: 'write' },
    review: {},
    enqueue: { contents: 'read', issues: 'write' },
    dispatch: { contents: 'read', 'pull-requests': 'read', actions: 'write' },
    cancel: { contents: 'read', issues: 'write', actions: 'write' },
  },
  'cell.yml': {
    cell: { contents: 'read', 'pull-requests': 'read', actions: 'read' },
    store: { contents: 'read', issues: 'write', checks: 'write', actions: 'write' },
    next: { contents: 'read', 'pull-requests': 'read', actions: 'write' },
  },
  'dispatch.yml': { dispatch: { contents: 'read', 'pull-requests': 'read', actions: 'write' } },
  'publish.yml': { results: { contents: 'read' }, site: { contents: 'read' }, deploy: { pages: 'write', 'id-token': 'write' } },
  'ci.yml': { test: { contents: 'read' } },
};

export const events = {
  strangerRun: (): EventInput => ({ name: 'issue_comment', payload: commentEvent(PR, 'stranger', `/ptb run ${SHA}`, 'NONE') }),
  contributorCancel: (): EventInput => ({
    name: 'issue_comment',
    payload: commentEvent(PR, 'drive-by', '/ptb cancel', 'CONTRIBUTOR'),
  }),
  maintainerRun: (): EventInput => ({
    name: 'issue_comment',
    payload: commentEvent(PR, 'maintainer', `/ptb run ${SHA}`, 'MEMBER'),
    runId: 100,
  }),
  maintainerChat: (): EventInput => ({ name: 'issue_comment', payload: commentEvent(PR, 'maintainer', 'LGTM', 'MEMBER') }),
  maintainerOnIssue: (): EventInput => {
    const payload = commentEvent(PR, 'maintainer', `/ptb run ${SHA}`, 'OWNER') as { issue: Record<string, unknown> };
    delete payload.issue.pull_request;
    return { name: 'issue_comment', payload };
  },
  label: (base = 'main', label = 'run-approved'): EventInput => ({
    name: 'pull_request_target',
    payload: pullRequestEvent('labeled', { number: PR, headSha: SHA, author: 'ada', sender: 'maintainer', label, base }),
  }),
  forkPr: (base = 'main'): EventInput => ({
    name: 'pull_request_target',
    payload: pullRequestEvent('opened', { number: PR, headSha: SHA, author: 'ada', fork: true, base }),
  }),
  pushAfterApproval: (): EventInput => ({
    name: 'pull_request_target',
    payload: pullRequestEvent('synchronize', { number: PR, headSha: 'b'.repeat(40), author: 'ada', fork: true }),
  }),
  cellDispatch: (attempt = 1): EventInput => ({
    name: 'workflow_dispatch',
    payload: dispatchEvent({ approval: 'pr7-run100', pr: String(PR), cell: 'Qwen3-4B-Base/gsm8k/1' }),
    inputs: { approval: 'pr7-run100', pr: String(PR), cell: 'Qwen3-4B-Base/gsm8k/1' },
    runId: 555,
    runAttempt: attempt,
  }),
};

const ok = (outputs: Record<string, string> = {}) => ({ result: 'success', outputs });

export async function loadAll(texts: Record<string, string>): Promise<Record<string, WorkflowModel>> {
  const out: Record<string, WorkflowModel> = {};
  for (const [file, text] of Object.entries(texts)) out[file] = await loadWorkflow(file, text);
  return out;
}

export async function contractProblems(texts: Record<string, string>, config: PipelineConfig): Promise<string[]> {
  const wfs = await loadAll(texts);
  const problems: string[] = [];
  const need = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  for (const wf of Object.values(wfs)) for (const e of wf.errors) problems.push(`${wf.file}: GitHub's parser: ${e}`);
  const evaluate = wfs['evaluate.yml'];
  const cell = wfs['cell.yml'];
  const submission = wfs['submission.yml'];
  const publish = wfs['publish.yml'];
  if (!evaluate || !cell || !submission || !publish) return [...problems, 'missing one of evaluate, cell, submission, publish'];
  const job = (wf: WorkflowModel, id: string, ev: EventInput, needs = {}): JobPlan | null => {
    try {
      return planJob(wf, id, ev, needs);
    } catch (e) {
      problems.push((e as Error).message);
      return null;
    }
  };

  // 1. Who starts the approve job: maintainers' /ptb comments on PRs and the approve label only.
  const approveRuns = (ev: EventInput) => triggers(evaluate, ev.name, ev.payload) && job(evaluate, 'approve', ev)?.runs;
  need(approveRuns(events.maintainerRun()) === true, "evaluate.yml: a maintainer's `/ptb run` must start the approve job");
  need(approveRuns(events.label()) === true, 'evaluate.yml: the run-approved label must start the approve job');
  need(
    !approveRuns(events.strangerRun()),
    "evaluate.yml: a stranger's `/ptb run` must not start a job (it would cost API calls)",
  );
  need(!approveRuns(events.contributorCancel()), "evaluate.yml: a contributor's `/ptb cancel` must not start a job");
  need(!approveRuns(events.maintainerChat()), 'evaluate.yml: a comment that is not a /ptb command must not start a job');
  need(!approveRuns(events.maintainerOnIssue()), 'evaluate.yml: a comment on a plain issue must not start a job');
  need(!approveRuns(events.label('main', 'bug')), 'evaluate.yml: another label must not start a job');

  // 2. Nobody's event can cancel or displace a maintainer's waiting run (concurrency).
  const groups = (ev: EventInput) => {
    const out: string[] = [];
    const run = runConcurrency(evaluate, ev);
    if (run) out.push(`run:${run.group}`);
    for (const j of evaluate.jobs) {
      if (j.id === 'dispatch') continue; // the dispatcher's group is shared on purpose: the newest tick does the work
      const plan = job(evaluate, j.id, ev, { approve: ok({ action: 'run', count: '3' }), review: ok(), enqueue: ok() });
      if (plan?.concurrency) out.push(`job:${plan.concurrency.group}`);
    }
    return out;
  };
  const mine = groups(events.maintainerRun());
  for (const [who, ev] of [
    ['a stranger', events.strangerRun()],
    ['a contributor', events.contributorCancel()],
    ["another maintainer's comment", events.maintainerChat()],
  ] as const) {
    const shared = groups(ev).filter((g) => mine.includes(g));
    need(
      shared.length === 0,
      `evaluate.yml: ${who} shares the concurrency group ${shared.join(', ')} of a maintainer's run, and can cancel it while it waits`,
    );
  }

  // 3. One review per submission, before anything is queued; GPU jobs need no second review.
  const reviewEnv = (wf: WorkflowModel, id: string, ev: EventInput, needs = {}) => job(wf, id, ev, needs)?.environment ?? null;
  const approved = { approve: ok({ action: 'run', count: '28', approval: '{}' }) };
  const review = job(evaluate, 'review', events.maintainerRun(), approved);
  need(review?.runs === true, 'evaluate.yml: the review job must run after an approval');
  need(
    review?.environment === config.environment,
    `evaluate.yml: the review job must run in the \`${config.environment}\` environment (required reviewers)`,
  );
  need(
    !job(evaluate, 'review', events.maintainerRun(), { approve: ok({ action: 'run', count: '0' }) })?.runs,
    'evaluate.yml: nothing to run must not ask for a review',
  );
  need(
    job(evaluate, 'enqueue', events.maintainerRun(), { ...approved, review: ok() })?.runs === true,
    'evaluate.yml: the enqueue job must run after the review',
  );
  for (const result of ['skipped', 'failure', 'cancelled'])
    need(
      !job(evaluate, 'enqueue', events.maintainerRun(), { ...approved, review: { result, outputs: {} } })?.runs,
      `evaluate.yml: the enqueue job must not run when the review is ${result}`,
    );
  for (const wf of Object.values(wfs))
    for (const j of wf.jobs) {
      if (wf.file === 'evaluate.yml' && j.id === 'review') continue;
      const env = reviewEnv(wf, j.id, events.cellDispatch(), approved);
      need(env !== config.environment, `${wf.file}: job ${j.id} uses the review environment: every wave of it would ask again`);
    }

  // 4. The cell job: on the fleet's label, in the cell environment, its failure still recorded.
  const cellJob = job(cell, 'cell', events.cellDispatch());
  const labels = [cellJob?.runsOn].flat();
  need(
    JSON.stringify(labels) === JSON.stringify(config.runnerLabels),
    `cell.yml: runs-on must be exactly [${config.runnerLabels.join(', ')}] (what the fleet registers), is ${JSON.stringify(cellJob?.runsOn)}`,
  );
  need(
    cellJob?.environment === config.cellEnvironment,
    `cell.yml: the cell job must run in the \`${config.cellEnvironment}\` environment`,
  );
  for (const result of ['success', 'failure', 'cancelled'])
    need(
      job(cell, 'store', events.cellDispatch(), { cell: { result, outputs: {} } })?.runs === true,
      `cell.yml: the store job must run when the cell job ended in ${result} (record it, move the queue on)`,
    );
  need(
    !job(cell, 'store', events.cellDispatch(), { cell: { result: 'success', outputs: { ran: 'false' } } })?.runs,
    "cell.yml: a run that was not its cell's to run (cancelled, stored, run by an older run) must not record an outcome",
  );
  const storeNext = job(cell, 'next', events.cellDispatch(), { store: { result: 'failure', outputs: {} } });
  need(storeNext?.runs === true, 'cell.yml: the next cells must be dispatched even when storing failed');

  // 5. One artifact name per attempt, and the store job downloads exactly this attempt's.
  const uploadName = (attempt: number) => {
    const plan = job(cell, 'cell', events.cellDispatch(attempt));
    const i = plan?.steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact')) ?? -1;
    return i >= 0 && plan ? plan.stepWith(i).name : undefined;
  };
  const downloadName = (attempt: number) => {
    const plan = job(cell, 'store', events.cellDispatch(attempt), { cell: ok() });
    const i = plan?.steps.findIndex((s) => s.uses?.startsWith('actions/download-artifact')) ?? -1;
    return i >= 0 && plan ? plan.stepWith(i).name : undefined;
  };
  need(
    Boolean(uploadName(1)) && uploadName(1) !== uploadName(2),
    'cell.yml: a re-run (attempt 2) must upload under a name of its own',
  );
  need(uploadName(2) === downloadName(2), 'cell.yml: the store job must download the artifact of its own attempt');
  const uploadStep = cell.jobs.find((j) => j.id === 'cell')?.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
  need(uploadStep?.if === 'always()', 'cell.yml: the artifact (logs) must be uploaded also when the cell failed');

  // 6. Exactly the token each job needs.
  for (const wf of Object.values(wfs)) {
    need(JSON.stringify(wf.permissions) === '{}' || wf.file === 'ci.yml', `${wf.file}: top-level permissions must be {}`);
    for (const j of wf.jobs) {
      const want = PERMISSIONS[wf.file]?.[j.id];
      need(
        want !== undefined && JSON.stringify(sorted(j.permissions)) === JSON.stringify(sorted(want)),
        `${wf.file}: job ${j.id} holds ${JSON.stringify(j.permissions)}, the contract is ${JSON.stringify(want)}`,
      );
    }
  }

  // 7. Privileged triggers only for PRs into the default branch.
  for (const wf of [submission, evaluate]) {
    const ev = wf === submission ? events.forkPr : events.label;
    need(triggers(wf, ev().name, ev().payload, ['submissions/x/submission.yaml']), `${wf.file}: must run for a PR into main`);
    need(
      !triggers(wf, ev('release').name, ev('release').payload, ['submissions/x/submission.yaml']),
      `${wf.file}: pull_request_target must be limited to PRs into main`,
    );
  }
  const push = events.pushAfterApproval();
  need(
    triggers(submission, push.name, push.payload, ['submissions/x/submission.yaml']),
    'submission.yml: a push to the PR must re-validate it',
  );
  need(!triggers(evaluate, push.name, push.payload), 'evaluate.yml: a push to the PR must not start an evaluation');
  need(!triggers(cell, push.name, push.payload), 'cell.yml: only the dispatcher starts cells');

  // 8. Writes to the results branch and to main go through the App's token; no persisted token.
  const appToken = '${{ steps.app.outputs.token }}';
  for (const [wf, id, input] of [
    [publish, 'results', 'token'],
    [cell, 'store', 'app-token'],
    [evaluate, 'enqueue', 'app-token'],
    [evaluate, 'dispatch', 'app-token'],
  ] as const) {
    const step = wf.jobs.find((j) => j.id === id)?.steps.find((s) => s.uses?.startsWith('./actions/'));
    const plan = job(wf, id, events.maintainerRun(), {
      approve: ok({ action: 'run', count: '1' }),
      review: ok(),
      enqueue: ok(),
      cell: ok(),
    });
    const i = plan?.steps.indexOf(step as never) ?? -1;
    const value = i >= 0 && plan ? plan.stepWith(i, { app: { token: 'ghs_app_token' } })[input] : undefined;
    need(value === 'ghs_app_token', `${wf.file}: job ${id} must write with the App's token (${appToken}), gets ${value}`);
  }
  for (const wf of Object.values(wfs))
    for (const j of wf.jobs)
      for (const [i, s] of j.steps.entries())
        if (s.uses?.startsWith('actions/checkout')) {
          const plan = job(wf, j.id, events.cellDispatch(), {
            approve: ok(),
            review: ok(),
            enqueue: ok(),
            cell: ok(),
            results: ok(),
          });
          need(
            plan?.stepWith(i)['persist-credentials'] === 'false',
            `${wf.file}: job ${j.id} must not persist the workflow token in .git/config`,
          );
        }
  return problems;
}

function sorted(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
}
