import { parseDocument } from 'yaml';

/**
 * The security rules every workflow must keep, as a pure check over the YAML text, so that
 * the contract tests can show both that our workflows pass and that a breach is caught.
 */
export interface WorkflowRules {
  /** Local actions that exist (`./actions/<name>`). */
  localActions: readonly string[];
  /** Exact `runs-on` of GPU jobs. */
  gpuLabels: readonly string[];
  /** GPU jobs must allow more than this (the agent's budget). */
  gpuBudgetMinutes: number;
}

type Obj = Record<string, unknown>;
// Triggers whose runs get secrets or a write token (and run the default branch's code).
const PRIVILEGED = ['pull_request_target', 'issue_comment', 'workflow_run', 'workflow_dispatch', 'schedule'];
const DEFAULT_BRANCH = `\${{ github.event.repository.default_branch }}`;
const PR_HEAD = /github\.event\.pull_request\.head|github\.head_ref|refs\/pull\/|head-sha|head_sha/;

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export function triggersOf(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return Object.keys(obj(on));
}

const writes = (permissions: unknown): boolean =>
  permissions === 'write-all' || Object.values(obj(permissions)).some((v) => v === 'write');

export function checkWorkflow(file: string, text: string, rules: WorkflowRules): string[] {
  const problems: string[] = [];
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return doc.errors.map((e) => `${file}: YAML: ${e.message}`);
  const wf = obj(doc.toJS());
  const triggers = triggersOf(wf.on ?? wf.true);
  const privileged = triggers.some((t) => PRIVILEGED.includes(t));
  if (!('permissions' in wf)) problems.push(`${file}: no top-level permissions (set "permissions: {}" and grant per job)`);
  const lines = text.split('\n');
  // Pin comments live on the `uses:` line; the YAML value drops them, so read the text.
  for (const [i, line] of lines.entries()) {
    const m = /^\s*(?:-\s*)?uses:\s*([^\s#]+)\s*(#.*)?$/.exec(line);
    if (!m?.[1]) continue;
    const ref = m[1];
    if (ref.startsWith('./')) {
      const name = /^\.\/actions\/([^/]+)$/.exec(ref)?.[1];
      if (!name || !rules.localActions.includes(name)) problems.push(`${file}:${i + 1}: local action ${ref} does not exist`);
    } else if (ref.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) problems.push(`${file}:${i + 1}: ${ref} is not pinned by digest`);
    } else if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref)) {
      problems.push(`${file}:${i + 1}: ${ref} is not pinned by a full commit SHA`);
    } else if (!/^#\s*v\d+\.\d+\.\d+/.test(m[2] ?? '')) {
      problems.push(`${file}:${i + 1}: ${ref} needs a "# vX.Y.Z" comment naming the release the SHA is`);
    }
  }
  for (const [jobId, jobValue] of Object.entries(obj(wf.jobs))) {
    const job = obj(jobValue);
    const where = `${file}: job ${jobId}`;
    if (!('permissions' in job)) problems.push(`${where}: no permissions (least privilege: grant only what the job needs)`);
    if (!('timeout-minutes' in job) && !('uses' in job)) problems.push(`${where}: no timeout-minutes`);
    const runsOn = Array.isArray(job['runs-on']) ? (job['runs-on'] as unknown[]).map(String) : [String(job['runs-on'] ?? '')];
    if (runsOn.includes('self-hosted') || runsOn.some((l) => rules.gpuLabels.includes(l))) {
      if (runsOn.join(',') !== rules.gpuLabels.join(','))
        problems.push(`${where}: a GPU job's runs-on must be exactly [${rules.gpuLabels.join(', ')}]`);
      if (!job.environment) problems.push(`${where}: a GPU job must run in the protected environment (required reviewers)`);
      if (writes(job.permissions)) problems.push(`${where}: a GPU job must not hold a token that can write`);
      if (!(Number(job['timeout-minutes']) > rules.gpuBudgetMinutes))
        problems.push(`${where}: timeout-minutes must exceed the ${rules.gpuBudgetMinutes}-minute budget`);
      if (triggers.some((t) => t === 'pull_request' || t === 'push'))
        problems.push(`${where}: GPU jobs may only run on maintainer-approved events, not ${triggers.join(', ')}`);
    }
    for (const [n, stepValue] of (Array.isArray(job.steps) ? job.steps : []).entries()) {
      const step = obj(stepValue);
      const at = `${where} step ${n + 1}${step.name ? ` (${String(step.name)})` : ''}`;
      const run = typeof step.run === 'string' ? step.run : '';
      if (run.includes('${{')) problems.push(`${at}: expression inside run: (pass it through env: instead)`);
      if (/\bnpm (ci|install|i)\b/.test(run) && writes(job.permissions) && !run.includes('--ignore-scripts'))
        problems.push(`${at}: npm install scripts must not run in a job with a write token (add --ignore-scripts)`);
      const uses = typeof step.uses === 'string' ? step.uses : '';
      const withValues = Object.values(obj(step.with)).map(String);
      if (privileged) {
        if (PR_HEAD.test(run) || withValues.some((v) => PR_HEAD.test(v) && uses.startsWith('actions/checkout')))
          problems.push(`${at}: a privileged workflow must not fetch or check out the PR's code`);
        // The default branch, or a commit an earlier job of this run made on it (publish's site job).
        const ref = String(obj(step.with).ref ?? '');
        if (uses.startsWith('actions/checkout') && ref !== DEFAULT_BRANCH && !ref.startsWith('${{ needs.'))
          problems.push(`${at}: checkout in a privileged workflow must set ref: ${DEFAULT_BRANCH}`);
      }
    }
  }
  return problems;
}
