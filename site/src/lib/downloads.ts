import { csvLine, type Leaderboard } from '@ptb/core';

/** One line per (submission, base model, benchmark) cell, with its penalty if any. */
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
    'base_model',
    'benchmark',
    'weight',
    'cell_mean',
    'cell_std',
    'cell_runs',
    'penalties',
  ];
  const lines = board.rows.flatMap((r) =>
    r.cells.map((c) => [
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
      c.baseModel,
      c.benchmark,
      board.weights[c.benchmark],
      c.mean,
      c.std,
      c.runs,
      c.penalties.map((p) => `run ${p.seed}: ${p.reason}: ${p.detail}`).join('; '),
    ]),
  );
  return `${[header, ...lines].map(csvLine).join('\n')}\n`;
}
