import * as core from '@actions/core';
import { approve, contextFromEnv, GitResultsStore, readEvent, runAction, runUrl, type Trigger } from '@ptb/pipeline';

interface Event {
  action?: string;
  sender?: { login: string };
  comment?: { body?: string };
  issue?: { number: number; pull_request?: unknown };
  pull_request?: { number: number; head?: { sha?: string } };
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
    return {
      kind: 'label',
      prNumber: event.pull_request.number,
      actor,
      label: event.label.name,
      headSha: event.pull_request.head?.sha ?? '',
    };
  return null;
}

await runAction(async () => {
  core.setOutput('action', 'ignore');
  const t = trigger(readEvent<Event>());
  if (!t) return core.info('not a /ptb command or approve label; nothing to do');
  const ctx = contextFromEnv();
  const token = core.getInput('token', { required: true });
  const store = new GitResultsStore({ repoDir: ctx.root, branch: ctx.config.resultsBranch, auth: { token }, log: ctx.log });
  const outcome = await approve(ctx, t, runUrl(), store);
  core.setOutput('action', outcome.action);
  core.setOutput('pr', String(t.prNumber));
  if (outcome.action === 'ignore') return core.info('nothing to do');
  if (outcome.action === 'refuse') return core.setFailed(outcome.reason);
  if (outcome.action === 'cancel') {
    core.setOutput('actor', outcome.actor);
    return core.info(`@${outcome.actor} asked to cancel; the cancel job does it`);
  }
  const a = outcome.approval;
  core.setOutput('approval', JSON.stringify(a));
  core.setOutput('count', String(a.cells.length));
  core.info(`approval ${a.id}: ${a.cells.length} cell(s) of ${a.submissionId} at ${a.headSha}`);
});
