import { z } from 'zod';
import type { CellSpec } from './cells.ts';

/**
 * The queue between one approval of a submission and the fleet. A maintainer approves once and
 * a reviewer of the protected environment reviews once; the approval is then recorded here and
 * our dispatcher starts one `cell.yml` run per cell, never more at once (over all pull requests)
 * than the fleet can take, so no job waits in GitHub's queue long enough to be dropped.
 */
const Cell = z.strictObject({
  id: z.string().min(1),
  baseModel: z.string().min(1),
  benchmark: z.string().min(1),
  seed: z.number().int().min(1),
  artifact: z.string().regex(/^[A-Za-z0-9._-]+$/),
});

export const ApprovalRecord = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  prNumber: z.number().int().min(1),
  submissionId: z.string().min(1),
  headSha: z.string().regex(/^[0-9a-f]{40}$/),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  definitionVersion: z.string().min(1),
  cells: z.array(Cell),
  approvedBy: z.string().min(1),
  approvedAt: z.string().min(1),
  /** The evaluate run whose environment review let this approval through. */
  reviewedInRun: z.number().int().min(1),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;

export const CellOutcome = z.strictObject({
  cell: z.string().min(1),
  /** stored: a result (scored, missing, broken; flags travel in it). failed: no usable artifact.
   * error: the cell ended in a harness error (harness, evaluator, provider, judge, fleet): it is
   * run again, up to HARNESS_ATTEMPTS in all, and never stored as a result. */
  status: z.enum(['stored', 'failed', 'error']),
  runId: z.number().int(),
  runAttempt: z.number().int().min(1),
  reason: z.string().optional(),
  at: z.string().min(1),
});
export type CellOutcome = z.infer<typeof CellOutcome>;

export interface QueueEntry {
  approval: ApprovalRecord;
  outcomes: CellOutcome[];
  cancelled: boolean;
}

export function parseApproval(value: unknown, where: string): ApprovalRecord {
  const r = ApprovalRecord.safeParse(value);
  if (!r.success) throw new Error(`${where} is not a valid approval record: ${r.error.issues[0]?.message}`);
  return r.data;
}

export function parseOutcome(value: unknown, where: string): CellOutcome {
  const r = CellOutcome.safeParse(value);
  if (!r.success) throw new Error(`${where} is not a valid cell outcome: ${r.error.issues[0]?.message}`);
  return r.data;
}

/** An approval's id: the PR and the evaluate run that approved it. */
export const approvalId = (prNumber: number, runId: number) => `pr${prNumber}-run${runId}`;

/**
 * The run name of a cell run: `/ptb cancel`, the dispatcher and the cell job itself find the
 * runs of a PR, of an approval and of a cell by it.
 */
export const cellRunTitle = (prNumber: number, cellId: string, id: string) => `ptb cell #${prNumber} ${cellId} ${id}`;

export function parseCellRunTitle(title: string): { prNumber: number; cellId: string; approvalId: string } | null {
  const m = /^ptb cell #(\d+) (\S+) (\S+)$/.exec(title);
  return m?.[1] && m[2] && m[3] ? { prNumber: Number(m[1]), cellId: m[2], approvalId: m[3] } : null;
}

export interface InFlight {
  id: number;
  title: string;
}

export interface Dispatch {
  approval: ApprovalRecord;
  cell: CellSpec;
}

/**
 * Runs of a cell, at most, while it keeps ending in harness errors. Bounded: an agent that
 * provokes provider errors to get a re-roll gets at most this many, and a maintainer sees them.
 */
export const HARNESS_ATTEMPTS = 3;

/**
 * Pure: the cells still owed by an approval, in the approval's order: those with no outcome
 * yet, and those whose every outcome so far is a harness error, fewer than HARNESS_ATTEMPTS.
 */
export function owed(entry: QueueEntry): CellSpec[] {
  if (entry.cancelled) return [];
  const outcomes = new Map<string, CellOutcome[]>();
  for (const o of entry.outcomes) outcomes.set(o.cell, [...(outcomes.get(o.cell) ?? []), o]);
  return entry.approval.cells.filter((c) => {
    const seen = outcomes.get(c.id) ?? [];
    return seen.every((o) => o.status === 'error') && seen.length < HARNESS_ATTEMPTS;
  });
}

/**
 * Pure: which cells to start now. Everything in flight (any PR) counts against the cap; the
 * oldest approval is served first, cell by cell, so submissions run in waves of the fleet's
 * size and a later submission waits rather than crowding GitHub's queue.
 */
export function planDispatch(queue: readonly QueueEntry[], inFlight: readonly InFlight[], cap: number): Dispatch[] {
  const running = new Set(inFlight.map((r) => r.title));
  let free = cap - inFlight.length;
  const out: Dispatch[] = [];
  for (const entry of queue) {
    for (const cell of owed(entry)) {
      if (free <= 0) return out;
      if (running.has(cellRunTitle(entry.approval.prNumber, cell.id, entry.approval.id))) continue;
      out.push({ approval: entry.approval, cell });
      free--;
    }
  }
  return out;
}
