import {
  buildLeaderboard,
  cellPenalties,
  csvLine,
  findBaseModel,
  formatDiagnostic,
  hoursMinutes,
  type Leaderboard,
  type LeaderboardRow,
  percent,
} from '@ptb/core';
import { findRepoRoot, loadDefinition, loadSubmissions } from '@ptb/core/files';
import { type Command, EXIT } from '../cli-kit.ts';
import { renderTable } from '../table.ts';

// Plain ASCII in the terminal: '-' where there is no value.
const pct = (x: number | null | undefined, digits = 1): string => percent(x, digits, '-');

function scoreText(row: LeaderboardRow): string {
  if (!row.score) return 'n/a';
  const std = row.score.std === null ? '' : ` ± ${pct(row.score.std)}`;
  return `${pct(row.score.mean)}${std}`;
}

function renderText(board: Leaderboard, modelIds: Set<string>, title: string): string {
  const benchmarks = Object.keys(board.weights);
  const header = ['Rank', 'Agent', 'Scaffold', 'Score', 'Runs', ...benchmarks, 'Time', 'Source'];
  const numeric = [true, false, false, true, true, ...benchmarks.map(() => true), true, false];
  const toCells = (r: LeaderboardRow): string[] => [
    r.rank === null ? '' : `${r.rank}${r.tied ? '=' : ''}`,
    r.displayName,
    r.scaffold ?? (r.kind === 'reference' ? 'reference' : ''),
    scoreText(r),
    r.score ? String(r.score.runs) : '',
    ...benchmarks.map((b) => `${pct(r.benchmarks[b])}${cellPenalties(r, b, modelIds).length > 0 ? '*' : ''}`),
    r.timeUsed ? hoursMinutes(r.timeUsed.meanHours) : '-',
    r.provenance + (r.hidden ? ' (hidden)' : ''),
  ];
  const agents = board.rows.filter((r) => r.kind === 'agent');
  const refs = board.rows.filter((r) => r.kind === 'reference');
  const weights = benchmarks.map((b) => `${b} ${pct(board.weights[b], 1)}%`).join(', ');
  return [
    title,
    '',
    renderTable(header, agents.map(toCells), numeric),
    '',
    'Reference rows',
    renderTable(header, refs.map(toCells), numeric),
    '',
    `Scores in percent. Weights: ${weights}.`,
    '* includes cells penalised by the policy (base model zero-shot score); `--json` gives each reason.',
    'Time: mean hours used of the budget. Rank "=": tied.',
  ].join('\n');
}

const CSV_HEADER = ['rank', 'id', 'display_name', 'kind', 'scaffold', 'model', 'reasoning_effort', 'score', 'std', 'runs'];

function renderCsv(board: Leaderboard): string {
  const benchmarks = Object.keys(board.weights);
  const header = [...CSV_HEADER, ...benchmarks, 'time_used_hours', 'provenance', 'penalised_cells', 'hidden'];
  const rows = board.rows.map((r) => [
    r.rank,
    r.submissionId,
    r.displayName,
    r.kind,
    r.scaffold,
    r.model,
    r.reasoningEffort,
    r.score?.mean,
    r.score?.std,
    r.score?.runs,
    ...benchmarks.map((b) => r.benchmarks[b]),
    r.timeUsed?.meanHours,
    r.provenance,
    r.penalisedCells,
    String(r.hidden),
  ]);
  return [header, ...rows].map(csvLine).join('\n');
}

export const command: Command = {
  usage: `Usage: ptb leaderboard [--model <base model>] [--json | --csv] [--all] [--definition v1]

Scores every submission under submissions/ with the benchmark definition and prints the
ranking: weighted score ± sample std over runs, per-benchmark means, time used.

Options:
  --model <id>       one base model instead of the mean of all (HF id or short name,
                     e.g. Qwen/Qwen3-4B-Base or Qwen3-4B-Base)
  --json             the full leaderboard (every cell, penalty and reason) as JSON
  --csv              one line per row as CSV
  --all              include hidden rows (superseded submissions)
  --definition <v>   benchmark definition version (default v1)

Exit codes: 0 ok, 1 invalid submissions (run \`ptb validate\`), 2 bad usage.`,
  options: {
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
    csv: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    definition: { type: 'string', default: 'v1' },
  },
  async run({ values }, io) {
    if (values.json && values.csv) {
      io.err('choose one of --json and --csv');
      return EXIT.usage;
    }
    const def = loadDefinition(String(values.definition));
    let view = 'all';
    if (typeof values.model === 'string') {
      const model = findBaseModel(def, values.model);
      if (!model) {
        io.err(`unknown base model "${values.model}"; known: ${def.baseModels.map((m) => m.key).join(', ')}`);
        return EXIT.usage;
      }
      view = model.id;
    }
    const root = findRepoRoot(io.cwd);
    const { submissions, diagnostics } = loadSubmissions(root);
    if (diagnostics.length > 0) {
      for (const d of diagnostics) io.err(formatDiagnostic(d));
      io.err(`${diagnostics.length} problem(s) in submissions/; fix them (see \`ptb validate\`) before ranking`);
      return EXIT.invalid;
    }
    const board = buildLeaderboard(def, submissions, view);
    if (!values.all) board.rows = board.rows.filter((r) => !r.hidden);
    if (values.json) io.out(JSON.stringify(board, null, 2));
    else if (values.csv) io.out(renderCsv(board));
    else {
      const modelIds = new Set(view === 'all' ? def.baseModels.map((m) => m.id) : [view]);
      const title =
        view === 'all'
          ? `${def.name}: mean over ${def.baseModels.length} base models`
          : `${def.name}: ${def.baseModels.find((m) => m.id === view)?.displayName ?? view} only`;
      io.out(renderText(board, modelIds, title));
    }
    return EXIT.ok;
  },
};
