import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { type CellSpec, CliCellRunner, contextFromEnv, requiredNumber, runAction, runCellJob } from '@ptb/pipeline';

await runAction(async () => {
  const ctx = contextFromEnv();
  const cell = JSON.parse(core.getInput('cell', { required: true })) as CellSpec;
  const runtime = core.getInput('runtime');
  const command = core.getInput('ptb-command').trim().split(/\s+/);
  if (runtime && !['bwrap', 'docker', 'apptainer'].includes(runtime))
    throw new Error(`input runtime must be bwrap, docker or apptainer, got "${runtime}"`);
  const runner = new CliCellRunner({
    command,
    cwd: ctx.root,
    onOutput: (s) => process.stdout.write(s),
  });
  const result = await runCellJob(
    ctx,
    {
      prNumber: requiredNumber('pr'),
      headSha: core.getInput('head-sha', { required: true }),
      manifestSha256: core.getInput('manifest-sha256', { required: true }),
      submissionId: core.getInput('submission-id', { required: true }),
      definitionVersion: core.getInput('definition-version', { required: true }),
      cell,
      workDir: join(process.env.RUNNER_TEMP ?? tmpdir(), `ptb-cell-${cell.artifact}`),
      outDir: resolve(core.getInput('out-dir', { required: true })),
      ...(runtime ? { runtime: runtime as 'bwrap' | 'docker' | 'apptainer' } : {}),
    },
    runner,
  );
  core.setOutput('status', result.status);
  core.info(`${cell.id}: ${result.status}${result.score ? ` ${result.score.value}` : ''}`);
});
