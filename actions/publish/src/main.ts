import { join } from 'node:path';
import * as core from '@actions/core';
import { CONFIG_PATH, GitResultsStore, loadConfig, publish, runAction, workspace } from '@ptb/pipeline';

await runAction(async () => {
  const root = workspace();
  const config = loadConfig(join(root, CONFIG_PATH));
  const log = (m: string) => core.info(m);
  const auth = { token: core.getInput('token', { required: true }) };
  const outcome = await publish({
    repoDir: root,
    branch: core.getInput('branch') || 'main',
    auth,
    store: new GitResultsStore({ repoDir: root, branch: config.resultsBranch, auth, log }),
    log,
  });
  core.setOutput('sha', outcome.sha ?? '');
  core.setOutput('published', outcome.published.join(','));
  for (const r of outcome.removed) core.warning(`removed ${r}: it was run for another version of the manifest`);
  core.info(outcome.committed ? `published ${outcome.published.join(', ')} at ${outcome.sha}` : 'nothing new to publish');
});
