import * as core from '@actions/core';
import {
  cancel,
  contextFromEnv,
  enqueue,
  GitResultsStore,
  readEvent,
  requiredNumber,
  runAction,
  runUrl,
  tick,
} from '@ptb/pipeline';

await runAction(async () => {
  const ctx = contextFromEnv();
  const mode = core.getInput('mode', { required: true });
  const store = new GitResultsStore({
    repoDir: ctx.root,
    branch: ctx.config.resultsBranch,
    auth: { token: core.getInput('app-token', { required: true }) },
    log: ctx.log,
  });
  const event = readEvent<{ repository?: { default_branch?: string } }>();
  const defaultBranch = event.repository?.default_branch ?? 'main';
  if (mode === 'enqueue') {
    const a = await enqueue(ctx, store, core.getInput('approval', { required: true }), runUrl());
    core.info(`recorded approval ${a.id}: ${a.cells.length} cell(s)`);
  } else if (mode === 'cancel') {
    const done = await cancel(ctx, store, requiredNumber('pr'), core.getInput('actor', { required: true }), runUrl());
    core.info(`stopped ${done.approvals.join(', ') || 'no approval'}; cancelled runs ${done.runs.join(', ') || 'none'}`);
  } else if (mode === 'tick') {
    const t = await tick(ctx, store, defaultBranch);
    for (const s of t.stopped) core.warning(`stopped ${s}`);
    core.setOutput('started', String(t.started.length));
    core.info(`started ${t.started.length} cell run(s); ${t.inFlight} in flight (cap ${ctx.config.fleetSize})`);
  } else throw new Error(`input mode must be enqueue, cancel or tick, got "${mode}"`);
});
