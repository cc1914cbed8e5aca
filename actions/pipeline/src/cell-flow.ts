import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellResult } from '@ptb/core';
import type { CellRequest, CellRunner } from './cell-runner.ts';
import type { CellSpec } from './cells.ts';
import { type FlowContext, Refusal, sha256 } from './context.ts';

export interface CellJob {
  prNumber: number;
  /** The PR head pinned at approval. */
  headSha: string;
  manifestSha256: string;
  submissionId: string;
  definitionVersion: string;
  cell: CellSpec;
  /** Where the manifest is written as data for the harness; never a checkout of the PR. */
  workDir: string;
  outDir: string;
  runtime?: CellRequest['runtime'];
}

/**
 * One cell on a GPU runner: re-checks that the PR's manifest is still the approved one (a push
 * after approval stops here), writes the pinned manifest bytes as data, runs the harness of the
 * default branch, and checks that the result is the cell that was asked for.
 */
export async function runCellJob(ctx: FlowContext, job: CellJob, runner: CellRunner): Promise<CellResult> {
  const { gh } = ctx;
  const path = `submissions/${job.submissionId}/submission.yaml`;
  const pull = await gh.pull(job.prNumber);
  if (pull.headSha !== job.headSha) {
    const now = await gh.fileAt(path, pull.headSha);
    if (!now || sha256(now) !== job.manifestSha256)
      throw new Refusal(
        `the manifest changed after approval (approved at ${job.headSha.slice(0, 7)}, head now ${pull.headSha.slice(0, 7)}); not running. A maintainer must approve the new manifest`,
      );
  }
  const bytes = await gh.fileAt(path, job.headSha);
  if (!bytes || sha256(bytes) !== job.manifestSha256)
    throw new Refusal(`${path} at ${job.headSha.slice(0, 7)} is not the approved manifest (sha256 ${job.manifestSha256})`);
  const folder = join(job.workDir, 'submissions', job.submissionId);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'submission.yaml'), bytes);
  await mkdir(job.outDir, { recursive: true });
  const result = await runner.run({
    submissionDir: folder,
    baseModel: job.cell.baseModel,
    benchmark: job.cell.benchmark,
    seed: job.cell.seed,
    definitionVersion: job.definitionVersion,
    outDir: job.outDir,
    ...(job.runtime ? { runtime: job.runtime } : {}),
  });
  const wrong = [
    result.submissionId !== job.submissionId && `submissionId ${result.submissionId}`,
    result.baseModel !== job.cell.baseModel && `baseModel ${result.baseModel}`,
    result.benchmark !== job.cell.benchmark && `benchmark ${result.benchmark}`,
    result.seed !== job.cell.seed && `seed ${result.seed}`,
    result.manifestSha256 !== 'unknown' &&
      result.manifestSha256 !== job.manifestSha256 &&
      `manifestSha256 ${result.manifestSha256}`,
  ].filter(Boolean);
  if (wrong.length > 0)
    throw new Error(`the harness returned a result for another cell (${wrong.join(', ')}) than ${job.cell.id}`);
  // The pin travels with the result so that the report can refuse a result of another approval.
  await writeFile(
    join(job.outDir, 'cell.json'),
    `${JSON.stringify({ cell: job.cell.id, headSha: job.headSha, manifestSha256: job.manifestSha256 }, null, 2)}\n`,
  );
  return result;
}
