import { join } from 'node:path';
import * as core from '@actions/core';
import { validateSubmissions } from '@ptb/core';
import { readAllSubmissions } from '@ptb/core/files';
import {
  CONFIG_PATH,
  contextFromEnv,
  env,
  GitResultsStore,
  knownDefinitions,
  loadConfig,
  readEvent,
  report,
  runAction,
  runUrl,
  storeCell,
  workspace,
  writeSummary,
} from '@ptb/pipeline';

await runAction(async () => {
  const root = workspace();
  const config = loadConfig(join(root, CONFIG_PATH));
  const store = new GitResultsStore({
    repoDir: root,
    branch: config.resultsBranch,
    auth: { token: core.getInput('app-token', { required: true }) },
    log: (m) => core.info(m),
  });
  const defaultBranch = readEvent<{ repository?: { default_branch?: string } }>().repository?.default_branch ?? 'main';
  // Durable first, with no API call before it: a rate limit afterwards loses nothing.
  const { approval, outcome } = await storeCell(
    {
      approvalId: core.getInput('approval', { required: true }),
      cellId: core.getInput('cell', { required: true }),
      runId: Number(env('GITHUB_RUN_ID')),
      runAttempt: Number(process.env.GITHUB_RUN_ATTEMPT ?? 1),
      artifactDir: core.getInput('artifact-dir', { required: true }),
      defaultBranch,
    },
    store,
  );
  core.setOutput('status', outcome.status);
  core.info(`${outcome.cell}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`);
  const ctx = contextFromEnv();
  const rep = await report(
    ctx,
    approval,
    store,
    // Definitions come from the checkout, not from a path baked into the bundle.
    validateSubmissions(readAllSubmissions(ctx.root), knownDefinitions(ctx.root)).submissions,
    defaultBranch,
    writeSummary,
    runUrl(),
  );
  core.setOutput('stored', String(rep.stored));
  core.setOutput('pending', String(rep.pending));
  if (rep.publishRequested) core.info('the manifest is merged already: publish.yml started');
  if (outcome.status === 'failed') core.setFailed(`${outcome.cell} failed: ${outcome.reason}`);
});
