import { zeroShotBaseline } from './definition.ts';
import type { BenchmarkDefinition, PenaltyReason } from './schemas/definition.ts';
import type { CellResult } from './schemas/result.ts';

export interface CellOutcome {
  /** What counts for scoring. */
  value: number;
  /** Present when the policy replaced the measured score. */
  penalty: { reason: PenaltyReason; detail: string; measured: number | null; applied: number } | null;
}

/**
 * Decides what one cell of one run counts for. A cell with no result is `missing`, a model
 * that did not load or evaluate is `broken`, an integrity violation is `flagged`; each is
 * replaced as the definition's penalty policy says, and the reason travels with it.
 */
export function applyPenaltyPolicy(
  def: BenchmarkDefinition,
  baseModelId: string,
  benchmarkId: string,
  cell: CellResult | undefined,
): CellOutcome {
  const reasonAndDetail = judge(cell);
  if (reasonAndDetail === null && cell?.score) return { value: cell.score.value, penalty: null };
  const [reason, detail] = reasonAndDetail ?? ['broken', 'scored status without a score'];
  if (!def.penalty.appliesTo.includes(reason)) {
    // A policy that does not penalise this reason keeps the measured score (0 if none).
    return { value: cell?.score?.value ?? 0, penalty: null };
  }
  const applied = zeroShotBaseline(def, baseModelId, benchmarkId);
  return { value: applied, penalty: { reason, detail, measured: cell?.score?.value ?? null, applied } };
}

/** Thrown when a harness error reaches scoring: such a cell is retried, never scored or penalised. */
export class UnretriedErrorCell extends Error {}

function judge(cell: CellResult | undefined): [PenaltyReason, string] | null {
  if (!cell) return ['missing', 'no result was recorded for this cell'];
  if (cell.status === 'error')
    throw new UnretriedErrorCell(
      `cell ${cell.baseModel} / ${cell.benchmark} (seed ${cell.seed}) ended in a harness error (${cell.statusDetail ?? 'no detail'}): retry it; it is neither scored nor penalised`,
    );
  if (cell.status === 'missing') return ['missing', cell.statusDetail ?? 'the agent left no final model'];
  if (cell.status === 'broken') return ['broken', cell.statusDetail ?? 'the final model did not load or evaluate'];
  const violation = cell.integrity.find((f) => f.severity === 'violation');
  if (violation) return ['flagged', `${violation.check}: ${violation.summary}`];
  return null;
}
