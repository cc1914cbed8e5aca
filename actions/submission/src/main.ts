import * as core from '@actions/core';
import { checkSubmission, contextFromEnv, readEvent, runAction, runUrl, writeSummary } from '@ptb/pipeline';

await runAction(async () => {
  const event = readEvent<{ pull_request?: { number: number } }>();
  if (!event.pull_request) throw new Error('this action handles pull_request_target events');
  const outcome = await checkSubmission(contextFromEnv(), event.pull_request.number, runUrl());
  await writeSummary(outcome.markdown);
  core.setOutput('verdict', outcome.verdict);
  core.setOutput('submission-id', outcome.submissionId ?? '');
  if (outcome.verdict !== 'valid') core.setFailed(`submission ${outcome.verdict}: see the pull request comment`);
});
