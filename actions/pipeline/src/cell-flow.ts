import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellResult } from '@ptb/core';
import type { CellRequest, CellRunner } from './cell-runner.ts';
import type { CellSpec } from './cells.ts';
import { type FlowContext, Refusal, sha256 } from './context.ts';
import { cellRunTitle } from './queue.ts';
import type { QueueStore } from './store.ts';

export const CELL_WORKFLOW = 'cell.yml';

/** What a cell run is started with (the dispatcher's workflow_dispatch inputs). */
export interface CellPin {
  approvalId: string;
  prNumber: number;
  /** The PR head named by the approval. */
  headSha: string;
  manifestSha256: string;
  submissionId: string;
  definitionVersion: string;
  cellId: string;
}

export interface CellJob extends CellPin {
  runId: number;
  runAttempt: number;
  /** Where the manifest is written as data for the harness; never a checkout of the PR. */
  workDir: string;
  outDir: string;
  runtime?: CellRequest['runtime'];
}

/** What the job leaves in its out folder beside result.json: the pin the store job checks. */
export interface CellStamp {
  cell: string;
  artifact: string;
  approvalId: string;
  headSha: string;
  manifestSha256: string;
  runId: number;
  runAttempt: number;
}

export type CellJobOutcome = { ran: true; cell: CellSpec; result: CellResult } | { ran: false; reason: string };

/**
 * One cell on a GPU runner. Runs only a cell of a recorded approval (anyone with write access
 * can start cell.yml by hand; only the approval flow writes the queue), only once at a time,
 * only while the PR's manifest is still the approved one; writes the pinned manifest bytes as
 * data, runs the harness of the default branch in an emptied out folder, and checks that the
 * result is the cell that was asked for.
 */
export async function runCellJob(ctx: FlowContext, job: CellJob, queue: QueueStore, runner: CellRunner): Promise<CellJobOutcome> {
  const { gh } = ctx;
  const entry = await queue.approval(job.approvalId);
  if (!entry) throw new Refusal(`no approval ${job.approvalId} in the queue; cell runs are started by the dispatcher only`);
  const a = entry.approval;
  const mismatch = (
    [
      ['pr', a.prNumber, job.prNumber],
      ['head-sha', a.headSha, job.headSha],
      ['manifest-sha256', a.manifestSha256, job.manifestSha256],
      ['submission-id', a.submissionId, job.submissionId],
      ['definition-version', a.definitionVersion, job.definitionVersion],
    ] as const
  ).filter(([, want, got]) => want !== got);
  if (mismatch.length > 0)
    throw new Refusal(
      `inputs differ from approval ${a.id}: ${mismatch.map(([k, w, g]) => `${k} is ${g}, approved ${w}`).join('; ')}`,
    );
  const cell = a.cells.find((c) => c.id === job.cellId);
  if (!cell) throw new Refusal(`cell ${job.cellId} is not part of approval ${a.id}`);
  if (entry.cancelled) return { ran: false, reason: `approval ${a.id} was cancelled` };
  if (entry.outcomes.some((o) => o.cell === cell.id && o.status === 'stored'))
    return { ran: false, reason: `${cell.id} of approval ${a.id} already has a stored result` };
  // The dispatcher cannot see a run it just started for a few seconds; the older run goes on.
  const title = cellRunTitle(a.prNumber, cell.id, a.id);
  const older = (await gh.activeRuns(CELL_WORKFLOW)).filter((r) => r.title === title && r.id < job.runId);
  if (older.length > 0) return { ran: false, reason: `run ${older[0]?.id} already runs ${cell.id} of approval ${a.id}` };

  const path = `submissions/${a.submissionId}/submission.yaml`;
  const pull = await gh.pull(a.prNumber);
  if (pull.headSha !== a.headSha) {
    const now = await gh.fileAt(path, pull.headSha);
    if (!now || sha256(now) !== a.manifestSha256)
      throw new Refusal(
        `the manifest changed after approval (approved at ${a.headSha.slice(0, 7)}, head now ${pull.headSha.slice(0, 7)}); not running. A maintainer must approve the new manifest`,
      );
  }
  const bytes = await gh.fileAt(path, a.headSha);
  if (!bytes || sha256(bytes) !== a.manifestSha256)
    throw new Refusal(`${path} at ${a.headSha.slice(0, 7)} is not the approved manifest (sha256 ${a.manifestSha256})`);
  const folder = join(job.workDir, 'submissions', a.submissionId);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'submission.yaml'), bytes);
  // Whatever an earlier job left here must not be uploaded as this cell's result.
  await rm(job.outDir, { recursive: true, force: true });
  await mkdir(job.outDir, { recursive: true });
  const result = await runner.run({
    submissionDir: folder,
    baseModel: cell.baseModel,
    benchmark: cell.benchmark,
    seed: cell.seed,
    definitionVersion: a.definitionVersion,
    outDir: job.outDir,
    ...(job.runtime ? { runtime: job.runtime } : {}),
  });
  const wrong = resultMismatch(result, a.submissionId, a.manifestSha256, cell);
  if (wrong.length > 0) throw new Error(`the harness returned a result for another cell (${wrong.join(', ')}) than ${cell.id}`);
  const stamp: CellStamp = {
    cell: cell.id,
    artifact: cell.artifact,
    approvalId: a.id,
    headSha: a.headSha,
    manifestSha256: a.manifestSha256,
    runId: job.runId,
    runAttempt: job.runAttempt,
  };
  await writeFile(join(job.outDir, 'cell.json'), `${JSON.stringify(stamp, null, 2)}\n`);
  return { ran: true, cell, result };
}

/** Pure: how a result differs from the cell it should be ([] when it is that cell's). */
export function resultMismatch(result: CellResult, submissionId: string, manifestSha256: string, cell: CellSpec): string[] {
  return [
    result.submissionId !== submissionId && `submissionId ${result.submissionId}`,
    result.baseModel !== cell.baseModel && `baseModel ${result.baseModel}`,
    result.benchmark !== cell.benchmark && `benchmark ${result.benchmark}`,
    result.seed !== cell.seed && `seed ${result.seed}`,
    result.manifestSha256 !== 'unknown' && result.manifestSha256 !== manifestSha256 && `manifestSha256 ${result.manifestSha256}`,
  ].filter((x): x is string => typeof x === 'string');
}
