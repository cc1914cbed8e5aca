import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentManifest, CellResult, percent, type Submission, Timeline, validateSubmissions } from '@ptb/core';
import { evaluateSubmission } from './aggregate.ts';
import { type CellStamp, resultMismatch } from './cell-flow.ts';
import { type CellSpec, cellOf } from './cells.ts';
import { definition, type FlowContext, knownDefinitions, Refusal, sha256 } from './context.ts';
import { type ApprovalRecord, type CellOutcome, HARNESS_ATTEMPTS, owed } from './queue.ts';
import { renderScores } from './render.ts';
import { cellPath, outcomePath, type QueueStore, type ResultsStore, timelinePath } from './store.ts';

export const PUBLISH_WORKFLOW = 'publish.yml';

export interface StoreJob {
  approvalId: string;
  cellId: string;
  /** The cell run and attempt whose artifact this is (a re-run from the UI is a new attempt). */
  runId: number;
  runAttempt: number;
  /** The artifact of exactly this cell, run and attempt, downloaded by name (absent when the job left none). */
  artifactDir: string;
  /** The default branch, to see whether the approved manifest is merged already. */
  defaultBranch: string;
}

export type Verdict = { result: CellResult } | { reason: string };

/**
 * Pure over the files: is this artifact the result of exactly this cell of this approval, made
 * by this run attempt? Anything else (another cell's leftovers, another approval, another
 * attempt, an unverified result) is refused with the reason.
 */
export async function readArtifact(
  dir: string,
  approval: ApprovalRecord,
  cell: CellSpec,
  runId: number,
  runAttempt: number,
): Promise<Verdict> {
  if (!existsSync(join(dir, 'cell.json'))) return { reason: 'the job ended without a result (see its logs)' };
  let stamp: Partial<CellStamp>;
  try {
    stamp = JSON.parse(await readFile(join(dir, 'cell.json'), 'utf8')) as Partial<CellStamp>;
  } catch {
    return { reason: 'the artifact has an unreadable cell.json' };
  }
  const expected: CellStamp = {
    cell: cell.id,
    artifact: cell.artifact,
    approvalId: approval.id,
    headSha: approval.headSha,
    manifestSha256: approval.manifestSha256,
    runId,
    runAttempt,
  };
  const off = (Object.keys(expected) as (keyof CellStamp)[]).filter((k) => stamp[k] !== expected[k]);
  if (off.length > 0)
    return {
      reason: `the artifact is not this cell's (${off.map((k) => `${k} ${String(stamp[k])}, expected ${String(expected[k])}`).join('; ')})`,
    };
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8'));
  } catch {
    return { reason: 'no readable result.json' };
  }
  const parsed = CellResult.safeParse(raw);
  if (!parsed.success) return { reason: `result.json is not a valid cell result: ${parsed.error.issues[0]?.message}` };
  const r = parsed.data;
  const wrong = resultMismatch(r, approval.submissionId, approval.manifestSha256, cell);
  if (wrong.length > 0) return { reason: `result.json is another cell's (${wrong.join(', ')})` };
  if (r.provenance.kind !== 'verified') return { reason: 'result without verified provenance' };
  return { result: r };
}

/** Timelines above this size are not published (the site and `ptb validate` refuse them too). */
const MAX_TIMELINE_BYTES = 32 * 2 ** 20;

/** The artifact's `logs/timeline.json`, when present, within its size limit, and a valid timeline. */
async function readTimeline(dir: string): Promise<Timeline | null> {
  const file = join(dir, 'logs', 'timeline.json');
  if (!existsSync(file) || statSync(file).size > MAX_TIMELINE_BYTES) return null;
  try {
    const parsed = Timeline.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface StoreOutcome {
  cell: string;
  status: CellOutcome['status'];
  reason?: string;
  newlyStored: boolean;
}

/**
 * The first half of the store job, with no API call: check the artifact against the pinned cell
 * and commit the result and the cell's outcome to the results branch. A rate limit or an outage
 * of the API afterwards loses nothing.
 */
export async function storeCell(
  job: StoreJob,
  store: ResultsStore & QueueStore,
  now: () => Date = () => new Date(),
): Promise<{ approval: ApprovalRecord; outcome: StoreOutcome }> {
  const entry = await store.approval(job.approvalId);
  if (!entry) throw new Refusal(`no approval ${job.approvalId} in the queue`);
  const approval = entry.approval;
  const cell = approval.cells.find((c) => c.id === job.cellId);
  if (!cell) throw new Refusal(`cell ${job.cellId} is not part of approval ${approval.id}`);
  const verdict = await readArtifact(job.artifactDir, approval, cell, job.runId, job.runAttempt);
  // A harness error (the harness, evaluator, provider, judge or fleet failed) is no result: the
  // dispatcher runs the cell again (bounded), and it is never stored, scored or penalised.
  const harnessError = 'result' in verdict && verdict.result.status === 'error' ? verdict.result : null;
  const reason =
    'reason' in verdict
      ? verdict.reason
      : harnessError
        ? `harness error (${harnessError.errorSource ?? 'harness'}): ${harnessError.statusDetail ?? 'no detail'}`
        : undefined;
  const record: CellOutcome = {
    cell: cell.id,
    status: harnessError ? 'error' : 'result' in verdict ? 'stored' : 'failed',
    runId: job.runId,
    runAttempt: job.runAttempt,
    ...(reason ? { reason: reason.slice(0, 2000) } : {}),
    at: now().toISOString(),
  };
  const files: Record<string, unknown> = {
    [outcomePath(approval.id, `${cell.artifact}${harnessError ? `-error-${job.runId}-${job.runAttempt}` : ''}`)]: record,
  };
  if ('result' in verdict && !harnessError) {
    files[cellPath(approval.submissionId, approval.manifestSha256, verdict.result)] = verdict.result;
    // The readable trace goes with it (the site's trace viewer); a missing or bad one is no reason to lose the result.
    const timeline = await readTimeline(job.artifactDir);
    if (timeline) files[timelinePath(approval.submissionId, approval.manifestSha256, verdict.result)] = timeline;
  }
  const saved = await store.writeQueue(
    files,
    `${record.status === 'stored' ? 'Result' : record.status === 'error' ? 'Harness error' : 'Failure'} of ${cell.id} for ${approval.submissionId} (PR #${approval.prNumber}, ${approval.headSha.slice(0, 7)}, approval ${approval.id})`,
  );
  return {
    approval,
    outcome: {
      cell: cell.id,
      status: record.status,
      ...(record.reason ? { reason: record.reason } : {}),
      newlyStored: saved.committed && record.status === 'stored',
    },
  };
}

export interface ReportOutcome {
  stored: number;
  pending: number;
  failed: { id: string; reason: string }[];
  markdown: string;
  /** Whether publish.yml was started because the manifest is merged already. */
  publishRequested: boolean;
}

/**
 * The second half, after the results are safe: everything stored for this manifest goes into
 * the sticky comment, the job summary and a check run; if the manifest is on the default branch
 * already (merged before its cells finished), publish.yml is started so that the result lands.
 */
export async function report(
  ctx: FlowContext,
  approval: ApprovalRecord,
  store: ResultsStore & QueueStore,
  published: readonly Submission[],
  defaultBranch: string,
  writeSummary: (markdown: string) => Promise<void>,
  summaryUrl: string,
): Promise<ReportOutcome> {
  const { gh, config } = ctx;
  const path = `submissions/${approval.submissionId}/submission.yaml`;
  const bytes = await gh.fileAt(path, approval.headSha);
  if (!bytes || sha256(bytes) !== approval.manifestSha256)
    throw new Refusal(`${path} at ${approval.headSha} is not the approved manifest`);
  const check = validateSubmissions(
    [{ manifest: { path, bytes }, folderId: approval.submissionId, results: [], strayFiles: [] }],
    knownDefinitions(ctx.root),
  );
  const manifest = check.submissions[0]?.manifest;
  if (manifest?.kind !== 'agent') throw new Refusal(`${path} at ${approval.headSha} is not a valid agent manifest`);
  const def = definition(ctx.root, manifest.benchmarkVersion);
  const stored = await store.load(approval.submissionId, approval.manifestSha256);
  const storedIds = new Set(stored.map((c) => cellOf(def, c).id));
  const failed = new Map<string, string>();
  for (const e of await store.queue())
    if (e.approval.manifestSha256 === approval.manifestSha256) {
      const retrying = new Set(owed(e).map((c) => c.id));
      for (const o of e.outcomes) {
        if (storedIds.has(o.cell)) continue;
        if (o.status === 'failed') failed.set(o.cell, o.reason ?? 'failed');
        // A harness error is told to the maintainer: being retried, or given up after the last attempt.
        if (o.status === 'error')
          failed.set(
            o.cell,
            `${o.reason ?? 'harness error'} (${retrying.has(o.cell) ? 'being retried; not penalised' : `gave up after ${HARNESS_ATTEMPTS} attempts; not penalised: /ptb retry it`})`,
          );
      }
    }
  const stillFailed = [...failed].map(([id, reason]) => ({ id, reason }));

  const ev = evaluateSubmission(def, manifest as AgentManifest, stored, published);
  const markdown = renderScores(def, ev, stored, {
    headSha: approval.headSha,
    manifestSha256: approval.manifestSha256,
    runUrl: ctx.runUrl,
    failed: stillFailed,
  });
  await writeSummary(markdown);
  await gh.updateSticky(approval.prNumber, config.botLogin, 'scores', markdown, summaryUrl);
  const complete = ev.pending.length === 0;
  await gh.checkRun({
    name: 'ptb / evaluate',
    headSha: approval.headSha,
    conclusion: complete ? 'success' : stillFailed.length > 0 ? 'failure' : 'neutral',
    title: complete
      ? `Scored: ${ev.row.score ? percent(ev.row.score.mean) : 'n/a'}`
      : `${ev.pending.length} cell(s) without a result`,
    summary: markdown,
    detailsUrl: summaryUrl,
  });
  const onMain = await gh.fileAt(path, defaultBranch);
  const publishRequested = onMain !== null && sha256(onMain) === approval.manifestSha256;
  if (publishRequested) await gh.dispatch(PUBLISH_WORKFLOW, defaultBranch, {});
  return { stored: stored.length, pending: ev.pending.length, failed: stillFailed, markdown, publishRequested };
}
