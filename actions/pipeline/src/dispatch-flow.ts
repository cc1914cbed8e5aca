import { CELL_WORKFLOW } from './cell-flow.ts';
import { type FlowContext, Refusal, sha256 } from './context.ts';
import {
  type ApprovalRecord,
  cellRunTitle,
  type Dispatch,
  owed,
  parseApproval,
  parseCellRunTitle,
  planDispatch,
} from './queue.ts';
import { renderStatus } from './render.ts';
import { approvalPath, cancelPath, type QueueStore } from './store.ts';

export const EVALUATE_RUN_TITLE = (prNumber: number) => `ptb evaluate #${prNumber}`;

/**
 * After the one environment review: records the approval in the queue (the results branch,
 * writable by the App only), which is what lets its cells run.
 */
export async function enqueue(ctx: FlowContext, store: QueueStore, approvalJson: string, summaryUrl: string) {
  let value: unknown;
  try {
    value = JSON.parse(approvalJson);
  } catch {
    throw new Refusal('input approval is not JSON (it comes from the approve job of this run)');
  }
  const approval = parseApproval(value, 'input approval');
  // Only the approval made and reviewed in this very run may be recorded by it.
  if (approval.reviewedInRun !== ctx.runId)
    throw new Refusal(`approval ${approval.id} was reviewed in run ${approval.reviewedInRun}, not in this run (${ctx.runId})`);
  await store.writeQueue(
    { [approvalPath(approval.id)]: approval },
    `Approval ${approval.id}: ${approval.cells.length} cell(s) of ${approval.submissionId} at ${approval.headSha.slice(0, 7)}`,
  );
  await ctx.gh.updateSticky(
    approval.prNumber,
    ctx.config.botLogin,
    'status',
    renderStatus([
      `▶️ Approved by @${approval.approvedBy} for head \`${approval.headSha.slice(0, 7)}\` and reviewed; ${approval.cells.length} cell(s) queued for the fleet (at most ${ctx.config.fleetSize} at once over all pull requests).`,
      'A push that changes the manifest from now on stops the remaining cells; a maintainer then approves the new head.',
    ]),
    summaryUrl,
  );
  return approval;
}

/** `/ptb cancel`: no more cells of this PR are started; the running ones and waiting reviews are cancelled. */
export async function cancel(ctx: FlowContext, store: QueueStore, prNumber: number, actor: string, summaryUrl: string) {
  const { gh } = ctx;
  const open = (await store.queue()).filter((e) => e.approval.prNumber === prNumber && owed(e).length > 0);
  if (open.length > 0)
    await store.writeQueue(
      Object.fromEntries(open.map((e) => [cancelPath(e.approval.id), { by: actor, at: new Date().toISOString() }])),
      `Cancel ${open.map((e) => e.approval.id).join(', ')} (by ${actor})`,
    );
  const cancelled: number[] = [];
  for (const run of await gh.activeRuns(CELL_WORKFLOW))
    if (parseCellRunTitle(run.title)?.prNumber === prNumber) {
      await gh.cancelRun(run.id);
      cancelled.push(run.id);
    }
  for (const run of await gh.activeRuns('evaluate.yml'))
    if (run.title === EVALUATE_RUN_TITLE(prNumber) && run.id !== ctx.runId) {
      await gh.cancelRun(run.id);
      cancelled.push(run.id);
    }
  await gh.updateSticky(
    prNumber,
    ctx.config.botLogin,
    'status',
    renderStatus([
      `⏹️ @${actor} cancelled: ${open.length} approval(s) stopped, ${cancelled.length} run(s) cancelled. Results already stored are kept.`,
    ]),
    summaryUrl,
  );
  return { approvals: open.map((e) => e.approval.id), runs: cancelled };
}

export interface TickOutcome {
  started: Dispatch[];
  inFlight: number;
  stopped: string[];
}

/**
 * The dispatcher: keeps at most `fleetSize` cells in flight over all pull requests, starting
 * cells of the oldest approval first. An approval whose PR was closed unmerged, or whose
 * manifest changed, is stopped here rather than by a GPU job that would refuse it.
 */
export async function tick(
  ctx: FlowContext,
  store: QueueStore,
  defaultBranch: string,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<TickOutcome> {
  const { gh, config } = ctx;
  const queue = (await store.queue()).filter((e) => owed(e).length > 0);
  const stopped: string[] = [];
  for (const e of queue) {
    const why = await staleness(ctx, e.approval);
    if (!why) continue;
    await store.writeQueue(
      { [cancelPath(e.approval.id)]: { by: 'dispatcher', reason: why, at: new Date().toISOString() } },
      `Stop ${e.approval.id}: ${why}`,
    );
    e.cancelled = true;
    stopped.push(`${e.approval.id}: ${why}`);
  }
  const active = (await gh.activeRuns(CELL_WORKFLOW)).filter((r) => parseCellRunTitle(r.title));
  const plan = planDispatch(queue, active, config.fleetSize);
  for (const d of plan) {
    const a = d.approval;
    await gh.dispatch(CELL_WORKFLOW, defaultBranch, {
      approval: a.id,
      pr: String(a.prNumber),
      'head-sha': a.headSha,
      'manifest-sha256': a.manifestSha256,
      'submission-id': a.submissionId,
      'definition-version': a.definitionVersion,
      cell: d.cell.id,
    });
  }
  // A dispatched run shows up in the list a few seconds later; the next tick must see it.
  const titles = new Set(plan.map((d) => cellRunTitle(d.approval.prNumber, d.cell.id, d.approval.id)));
  for (let i = 0; i < 12 && titles.size > 0; i++) {
    const seen = new Set((await gh.activeRuns(CELL_WORKFLOW)).map((r) => r.title));
    if ([...titles].every((t) => seen.has(t))) break;
    await wait(5000);
  }
  return { started: plan, inFlight: active.length + plan.length, stopped };
}

async function staleness(ctx: FlowContext, a: ApprovalRecord): Promise<string | null> {
  const pull = await ctx.gh.pull(a.prNumber);
  if (pull.state !== 'open' && !pull.merged) return `pull request #${a.prNumber} was closed`;
  if (pull.headSha === a.headSha || pull.merged) return null;
  const now = await ctx.gh.fileAt(`submissions/${a.submissionId}/submission.yaml`, pull.headSha);
  return now && sha256(now) === a.manifestSha256 ? null : 'the manifest changed after approval';
}
