import * as core from '@actions/core';
import { approve, contextFromEnv, GitResultsStore, readEvent, runAction, runUrl, type Trigger } from '@ptb/pipeline';

interface Event {
  action?: string;
  sender?: { login: string };
  comment?: { body?: string };
  issue?: { number: number; pull_request?: unknown };
  pull_request?: { number: number };
  label?: { name: string };
}

function trigger(event: Event): Trigger | null {
  const actor = event.sender?.login ?? '';
  if (event.comment && event.issue) {
    // Comments on plain issues are not for us.
    if (!event.issue.pull_request || event.action !== 'created') return null;
    return { kind: 'comment', prNumber: event.issue.number, actor, body: event.comment.body ?? '' };
  }
  if (event.pull_request && event.action === 'labeled' && event.label)
    return { kind: 'label', prNumber: event.pull_request.number, actor, label: event.label.name };
  return null;
}

await runAction(async () => {
  core.setOutput('proceed', 'false');
  const t = trigger(readEvent<Event>());
  if (!t) return core.info('not a /ptb command or approve label; nothing to do');
  const ctx = contextFromEnv();
  const store = new GitResultsStore({ repoDir: ctx.root, branch: ctx.config.resultsBranch, log: ctx.log });
  const outcome = await approve(ctx, t, runUrl(), store);
  if (outcome.action === 'ignore') return core.info('nothing to do');
  if (outcome.action === 'refuse') return core.setFailed(outcome.reason);
  if (outcome.action === 'cancel') return core.info(`cancelled runs: ${outcome.cancelled.join(', ') || 'none'}`);
  const a = outcome.approval;
  core.setOutput('proceed', 'true');
  core.setOutput('pr', String(a.prNumber));
  core.setOutput('head-sha', a.headSha);
  core.setOutput('manifest-sha256', a.manifestSha256);
  core.setOutput('submission-id', a.submissionId);
  core.setOutput('definition-version', a.definitionVersion);
  core.setOutput('matrix', JSON.stringify({ include: a.cells }));
  core.setOutput('count', String(a.cells.length));
  core.setOutput('max-parallel', String(a.maxParallel));
});
