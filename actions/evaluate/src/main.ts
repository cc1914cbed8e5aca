import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import {
  CliCellRunner,
  cellEnvironment,
  contextFromEnv,
  env,
  GitResultsStore,
  requiredNumber,
  runAction,
  runCellJob,
} from '@ptb/pipeline';

await runAction(async () => {
  // `ran` is "false" only when the cell was deliberately not run here; a failure leaves it unset,
  // so that the store job records the failure and the dispatcher does not start the cell again.
  const ctx = contextFromEnv();
  const runtime = core.getInput('runtime');
  const command = core.getInput('ptb-command').trim().split(/\s+/);
  if (runtime && !['bwrap', 'docker', 'apptainer'].includes(runtime))
    throw new Error(`input runtime must be bwrap, docker or apptainer, got "${runtime}"`);
  // `ptb run` gets the basics, the engine's settings and the provider keys, nothing else.
  const runner = new CliCellRunner({
    command,
    cwd: ctx.root,
    env: cellEnvironment(process.env, process.env.PTB_PROVIDER_KEYS),
    onOutput: (s) => process.stdout.write(s),
  });
  const store = new GitResultsStore({
    repoDir: ctx.root,
    branch: ctx.config.resultsBranch,
    auth: { token: core.getInput('token', { required: true }) },
    log: ctx.log,
  });
  const cellId = core.getInput('cell', { required: true });
  const outcome = await runCellJob(
    ctx,
    {
      approvalId: core.getInput('approval', { required: true }),
      prNumber: requiredNumber('pr'),
      headSha: core.getInput('head-sha', { required: true }),
      manifestSha256: core.getInput('manifest-sha256', { required: true }),
      submissionId: core.getInput('submission-id', { required: true }),
      definitionVersion: core.getInput('definition-version', { required: true }),
      cellId,
      runId: Number(env('GITHUB_RUN_ID')),
      runAttempt: Number(process.env.GITHUB_RUN_ATTEMPT ?? 1),
      workDir: join(process.env.RUNNER_TEMP ?? tmpdir(), `ptb-cell-${cellId.replaceAll('/', '-')}`),
      outDir: resolve(core.getInput('out-dir', { required: true })),
      ...(runtime ? { runtime: runtime as 'bwrap' | 'docker' | 'apptainer' } : {}),
    },
    store,
    runner,
  );
  if (!outcome.ran) {
    core.setOutput('ran', 'false');
    return core.info(`not running: ${outcome.reason}`);
  }
  core.setOutput('ran', 'true');
  core.setOutput('status', outcome.result.status);
  core.info(`${outcome.cell.id}: ${outcome.result.status}${outcome.result.score ? ` ${outcome.result.score.value}` : ''}`);
});
