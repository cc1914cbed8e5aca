import { csvLine, type Leaderboard } from '@ptb/core';

/**
 * One line per (submission, base model, benchmark) cell, with its penalty if any; a row
 * published only as a headline (no cells) gets one line with the cell columns empty.
 */
export function leaderboardCsv(board: Leaderboard): string {
  const header = [
    'submission_id',
    'display_name',
    'kind',
    'rank',
    'score',
    'score_std',
    'runs',
    'scaffold',
    'model',
    'reasoning_effort',
    'provenance',
    'time_used_hours',
    'time_used_std_hours',
    'base_model',
    'benchmark',
    'weight',
    'cell_mean',
    'cell_std',
    'cell_runs',
    'penalties',
  ];
  const lines = board.rows.flatMap((r) =>
    (r.cells.length > 0 ? r.cells : [null]).map((c) => [
      r.submissionId,
      r.displayName,
      r.kind,
      r.rank,
      r.score?.mean,
      r.score?.std,
      r.score?.runs,
      r.scaffold,
      r.model,
      r.reasoningEffort,
      r.provenance,
      r.timeUsed?.meanHours,
      r.timeUsed?.stdHours,
      c?.baseModel,
      c?.benchmark,
      c ? board.weights[c.benchmark] : null,
      c?.mean,
      c?.std,
      c?.runs,
      c?.penalties.map((p) => `run ${p.seed}: ${p.reason}: ${p.detail}`).join('; '),
    ]),
  );
  return `${[header, ...lines].map(csvLine).join('\n')}\n`;
}
