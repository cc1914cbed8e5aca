import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '@ptb/core/files';
import { parse } from 'csv-parse/sync';

/**
 * The data behind the paper's figures that the leaderboard's own data cannot give: the
 * time-budget ablation (fig3), agent size (fig4) and reasoning effort (fig5). Read from the
 * published files kept in scripts/data/, so the charts show exactly what was published.
 */
export const PAPER_DATA_DIR = 'scripts/data/posttrainbench-v1/paper-plots-data';

function rows(file: string): Record<string, string>[] {
  const path = join(findRepoRoot(process.cwd()), PAPER_DATA_DIR, file);
  return parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
}

const num = (text: string | undefined, what: string): number => {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isFinite(n)) throw new Error(`${PAPER_DATA_DIR}: ${what} is not a number`);
  return n;
};

export interface BudgetPoint {
  agent: string;
  hours: number;
  /** Percent. */
  score: number;
}

export interface SizePoint {
  agent: string;
  score: number;
}

export interface EffortPoint {
  effort: string;
  score: number;
  scoreStd: number;
  hours: number;
  hoursStd: number;
  tokens: number;
}

export interface PaperData {
  budget: BudgetPoint[];
  size: SizePoint[];
  effort: EffortPoint[];
  files: { budget: string; size: string; effort: string };
}

let cached: PaperData | undefined;

export function paperData(): PaperData {
  cached ??= {
    budget: rows('fig3_time_budget_ablation.csv').map((r) => ({
      agent: r.Model ?? '',
      hours: num(r.TimeBudget, 'TimeBudget'),
      score: 100 * num(r.Score, 'Score'),
    })),
    size: rows('fig4_perf_vs_size.csv').map((r) => ({ agent: r.agent ?? '', score: num(r.score, 'score') })),
    effort: rows('fig5_reasoning_effort.csv').map((r) => ({
      effort: r.effort ?? '',
      score: num(r.score, 'score'),
      scoreStd: num(r.score_std, 'score_std'),
      hours: num(r.time_hours, 'time_hours'),
      hoursStd: num(r.time_std_hours, 'time_std_hours'),
      tokens: num(r.tokens, 'tokens'),
    })),
    files: {
      budget: `${PAPER_DATA_DIR}/fig3_time_budget_ablation.csv`,
      size: `${PAPER_DATA_DIR}/fig4_perf_vs_size.csv`,
      effort: `${PAPER_DATA_DIR}/fig5_reasoning_effort.csv`,
    },
  };
  return cached;
}
