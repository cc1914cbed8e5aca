import { type ResolvedDefinition, taskMatrix } from './definition.ts';
import { applyPenaltyPolicy } from './penalty.ts';
import type { BaseModel } from './schemas/definition.ts';
import type { AppliedPenalty, Leaderboard, LeaderboardCell, LeaderboardRow } from './schemas/leaderboard.ts';
import type { AgentManifest, Manifest, ReferenceManifest } from './schemas/manifest.ts';
import type { PublishedAggregateFile, ResultsFile, RunResultsFile } from './schemas/result.ts';
import { competitionRanks, mean, sampleStd } from './statistics.ts';

/** A submission as the scorer sees it: the manifest and its results files, already validated. */
export interface Submission {
  manifest: Manifest;
  results: ResultsFile[];
}

export type View = 'all' | string;

const cellKey = (baseModel: string, benchmark: string): string => `${baseModel}\u0000${benchmark}`;

/** Weighted score of one grid of values over the base models of a view. */
export function weightedScore(
  def: ResolvedDefinition,
  models: readonly BaseModel[],
  value: (m: string, b: string) => number,
): number {
  let total = 0;
  for (const b of def.benchmarks) {
    total += (def.weights.values[b.id] ?? 0) * mean(models.map((m) => value(m.id, b.id)));
  }
  return total;
}

function viewModels(def: ResolvedDefinition, view: View): BaseModel[] {
  if (view === 'all') return def.baseModels;
  const model = def.baseModels.find((m) => m.id === view);
  if (!model) throw new Error(`unknown base model "${view}" for definition ${def.version}`);
  return [model];
}

interface Scored {
  score: LeaderboardRow['score'];
  benchmarks: LeaderboardRow['benchmarks'];
  cells: LeaderboardCell[];
  timeUsed: LeaderboardRow['timeUsed'];
  integrityFindings: number;
  provenance: LeaderboardRow['provenance'];
}

/** Runs with per-cell results: penalties by policy, then mean and sample std over runs. */
function scoreRuns(def: ResolvedDefinition, runs: RunResultsFile[], models: readonly BaseModel[]): Scored {
  const sorted = [...runs].sort((a, b) => a.seed - b.seed);
  const perRunValues = sorted.map((run) => {
    const bySlot = new Map(run.cells.map((c) => [cellKey(c.baseModel, c.benchmark), c]));
    const values = new Map<string, number>();
    const penalties = new Map<string, AppliedPenalty>();
    for (const { baseModel, benchmark } of taskMatrix(def)) {
      const key = cellKey(baseModel.id, benchmark.id);
      const outcome = applyPenaltyPolicy(def, baseModel.id, benchmark.id, bySlot.get(key));
      values.set(key, outcome.value);
      if (outcome.penalty) penalties.set(key, { seed: run.seed, ...outcome.penalty });
    }
    return { values, penalties };
  });
  const runScores = perRunValues.map(({ values }) => weightedScore(def, models, (m, b) => values.get(cellKey(m, b)) ?? 0));
  const cells: LeaderboardCell[] = taskMatrix(def).map(({ baseModel, benchmark }) => {
    const key = cellKey(baseModel.id, benchmark.id);
    const xs = perRunValues.map((r) => r.values.get(key) ?? 0);
    return {
      baseModel: baseModel.id,
      benchmark: benchmark.id,
      mean: mean(xs),
      std: sampleStd(xs),
      runs: xs.length,
      penalties: perRunValues.flatMap((r) => r.penalties.get(key) ?? []),
      penaltiesKnown: true,
    };
  });
  const runHours = sorted.flatMap((run) => {
    const known = run.cells.flatMap((c) => (typeof c.timeUsedSeconds === 'number' ? [c.timeUsedSeconds] : []));
    if (known.length > 0) return [mean(known) / 3600];
    return typeof run.meanTimeUsedSeconds === 'number' ? [run.meanTimeUsedSeconds / 3600] : [];
  });
  const allCells = sorted.flatMap((r) => r.cells);
  return {
    score: {
      mean: mean(runScores),
      std: sampleStd(runScores),
      runs: runScores.length,
      stdSource: runScores.length > 1 ? 'computed' : 'none',
    },
    benchmarks: benchmarkMeans(def, models, cells),
    cells,
    timeUsed: runHours.length > 0 ? { meanHours: mean(runHours), stdHours: sampleStd(runHours) } : null,
    integrityFindings: allCells.reduce((n, c) => n + c.integrity.filter((f) => f.severity !== 'info').length, 0),
    provenance: allCells.every((c) => c.provenance.kind === 'imported') ? 'imported' : 'verified',
  };
}

/** Published means over runs: the grid is exact, the std over runs is taken as published. */
function scoreAggregate(def: ResolvedDefinition, agg: PublishedAggregateFile, models: readonly BaseModel[], view: View): Scored {
  const byKey = new Map(agg.cells.map((c) => [cellKey(c.baseModel, c.benchmark), c]));
  const complete = taskMatrix(def).every(({ baseModel, benchmark }) => byKey.has(cellKey(baseModel.id, benchmark.id)));
  const cells: LeaderboardCell[] = complete
    ? taskMatrix(def).map(({ baseModel, benchmark }) => {
        const c = byKey.get(cellKey(baseModel.id, benchmark.id));
        return {
          baseModel: baseModel.id,
          benchmark: benchmark.id,
          mean: c?.mean ?? 0,
          std: c?.std ?? null,
          runs: agg.runs,
          penalties: [],
          penaltiesKnown: false,
        };
      })
    : [];
  let score: LeaderboardRow['score'] = null;
  if (complete) {
    const value = weightedScore(def, models, (m, b) => byKey.get(cellKey(m, b))?.mean ?? 0);
    const std = view === 'all' ? agg.headline.std : null;
    score = { mean: value, std, runs: agg.runs, stdSource: std === null ? 'none' : 'published' };
  } else if (view === 'all') {
    score = { mean: agg.headline.mean, std: agg.headline.std, runs: agg.runs, stdSource: 'published' };
  }
  return {
    score,
    benchmarks: complete ? benchmarkMeans(def, models, cells) : Object.fromEntries(def.benchmarks.map((b) => [b.id, null])),
    cells,
    timeUsed:
      agg.time === 'unknown'
        ? null
        : { meanHours: agg.time.meanSeconds / 3600, stdHours: agg.time.stdSeconds === null ? null : agg.time.stdSeconds / 3600 },
    integrityFindings: 0,
    provenance: 'imported',
  };
}

/** Reference rows come from the definition's own baselines, so they can never drift from it. */
function scoreReference(def: ResolvedDefinition, manifest: ReferenceManifest, models: readonly BaseModel[]): Scored {
  const of = manifest.reference.of;
  const source = of === 'base-few-shot' ? def.baselines.fewShot : def.baselines.zeroShot;
  const lookup = (m: BaseModel, b: string): number | undefined =>
    source?.[of === 'official-instruct' ? m.instruct.id : m.id]?.[b];
  const complete = taskMatrix(def).every(({ baseModel, benchmark }) => lookup(baseModel, benchmark.id) !== undefined);
  const cells: LeaderboardCell[] = complete
    ? taskMatrix(def).map(({ baseModel, benchmark }) => ({
        baseModel: baseModel.id,
        benchmark: benchmark.id,
        mean: lookup(baseModel, benchmark.id) ?? 0,
        std: null,
        runs: 1,
        penalties: [],
        penaltiesKnown: true,
      }))
    : [];
  const byModelId = new Map(def.baseModels.map((m) => [m.id, m]));
  const value = (m: string, b: string): number => {
    const model = byModelId.get(m);
    return model ? (lookup(model, b) ?? 0) : 0;
  };
  return {
    score: complete ? { mean: weightedScore(def, models, value), std: null, runs: 1, stdSource: 'none' } : null,
    benchmarks: complete ? benchmarkMeans(def, models, cells) : {},
    cells,
    timeUsed: null,
    integrityFindings: 0,
    provenance: 'definition',
  };
}

function benchmarkMeans(
  def: ResolvedDefinition,
  models: readonly BaseModel[],
  cells: readonly LeaderboardCell[],
): Record<string, number | null> {
  const ids = new Set(models.map((m) => m.id));
  return Object.fromEntries(
    def.benchmarks.map((b) => {
      const xs = cells.filter((c) => c.benchmark === b.id && ids.has(c.baseModel)).map((c) => c.mean);
      return [b.id, xs.length > 0 ? mean(xs) : null];
    }),
  );
}

function scoreSubmission(def: ResolvedDefinition, submission: Submission, view: View): Scored {
  const models = viewModels(def, view);
  const { manifest } = submission;
  if (manifest.kind === 'reference') return scoreReference(def, manifest, models);
  const forDefinition = submission.results.filter((r) => r.definitionVersion === def.version);
  const aggregate = forDefinition.find((r): r is PublishedAggregateFile => r.kind === 'published-aggregate');
  if (aggregate) return scoreAggregate(def, aggregate, models, view);
  const runs = forDefinition.filter((r): r is RunResultsFile => r.kind === 'run');
  if (runs.length === 0)
    return { score: null, benchmarks: {}, cells: [], timeUsed: null, integrityFindings: 0, provenance: 'verified' };
  return scoreRuns(def, runs, models);
}

function describeAgent(manifest: AgentManifest) {
  return {
    scaffold: manifest.agent.scaffold,
    scaffoldVersion: manifest.agent.version,
    model: manifest.agent.model,
    reasoningEffort: manifest.agent.reasoningEffort,
  };
}

/**
 * The leaderboard of one benchmark definition, for the mean over base models (`all`) or
 * one base model. Visible agents are ranked with ties; references and hidden rows follow.
 */
export function buildLeaderboard(def: ResolvedDefinition, submissions: readonly Submission[], view: View = 'all'): Leaderboard {
  const rows: LeaderboardRow[] = submissions
    .filter((s) => (s.manifest.benchmarkVersion ?? def.version) === def.version)
    .map((s) => {
      const scored = scoreSubmission(def, s, view);
      const m = s.manifest;
      const agent =
        m.kind === 'reference' ? { scaffold: null, scaffoldVersion: null, model: null, reasoningEffort: null } : describeAgent(m);
      return {
        rank: null,
        tied: false,
        kind: m.kind,
        submissionId: m.id,
        displayName: m.displayName,
        ...agent,
        hidden: m.hidden,
        provenance: scored.provenance,
        score: scored.score,
        benchmarks: scored.benchmarks,
        cells: scored.cells,
        timeUsed: scored.timeUsed,
        integrityFindings: scored.integrityFindings,
        penalisedCells: scored.cells.filter((c) => c.penalties.length > 0).length,
      } satisfies LeaderboardRow;
    });

  const ranked = rows.filter((r) => r.kind === 'agent' && !r.hidden && r.score !== null);
  const ranks = competitionRanks(ranked.map((r) => r.score?.mean ?? 0));
  ranked.forEach((row, i) => {
    row.rank = ranks[i] ?? null;
    row.tied = ranks.filter((r) => r === row.rank).length > 1;
  });
  const byScore = (a: LeaderboardRow, b: LeaderboardRow) =>
    (b.score?.mean ?? Number.NEGATIVE_INFINITY) - (a.score?.mean ?? Number.NEGATIVE_INFINITY) ||
    a.displayName.localeCompare(b.displayName);
  const group = (r: LeaderboardRow) => (r.rank !== null ? 0 : r.kind === 'reference' ? 1 : 2);
  rows.sort((a, b) => group(a) - group(b) || byScore(a, b));
  return { definitionVersion: def.version, view, weights: { ...def.weights.values }, rows };
}

/** The penalties inside one benchmark column of a row, for the base models a view shows. */
export function cellPenalties(row: LeaderboardRow, benchmark: string, modelIds: ReadonlySet<string>) {
  return row.cells
    .filter((c) => c.benchmark === benchmark && modelIds.has(c.baseModel))
    .flatMap((c) => c.penalties.map((p) => ({ ...p, baseModel: c.baseModel })));
}
