import * as core from '@actions/core';
import { validateSubmissions } from '@ptb/core';
import { readAllSubmissions } from '@ptb/core/files';
import {
  type CellSpec,
  contextFromEnv,
  GitResultsStore,
  knownDefinitions,
  report,
  requiredNumber,
  runAction,
  runUrl,
  writeSummary,
} from '@ptb/pipeline';

await runAction(async () => {
  const ctx = contextFromEnv();
  const matrix = JSON.parse(core.getInput('matrix', { required: true })) as { include: CellSpec[] };
  const store = new GitResultsStore({ repoDir: ctx.root, branch: ctx.config.resultsBranch, log: ctx.log });
  const outcome = await report(
    ctx,
    {
      prNumber: requiredNumber('pr'),
      headSha: core.getInput('head-sha', { required: true }),
      manifestSha256: core.getInput('manifest-sha256', { required: true }),
      submissionId: core.getInput('submission-id', { required: true }),
      artifactsDir: core.getInput('artifacts-dir', { required: true }),
      expected: matrix.include,
      // Definitions come from the checkout, not from a path baked into the bundle.
      published: validateSubmissions(readAllSubmissions(ctx.root), knownDefinitions(ctx.root)).submissions,
    },
    store,
    writeSummary,
    runUrl(),
  );
  core.setOutput('stored', String(outcome.stored));
  core.setOutput('pending', String(outcome.pending));
  if (outcome.failed.length > 0)
    core.setFailed(`${outcome.failed.length} cell(s) failed: ${outcome.failed.map((f) => f.id).join(', ')}`);
});
