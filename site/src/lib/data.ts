import { getCollection } from 'astro:content';
import {
  type BaseModel,
  buildLeaderboard,
  type Leaderboard,
  type LeaderboardRow,
  type Manifest,
  type ResolvedDefinition,
  type ResultsFile,
  resolveDefinition,
  type Submission,
} from '@ptb/core';

export interface SiteData {
  def: ResolvedDefinition;
  submissions: Submission[];
  manifests: Map<string, Manifest>;
  results: Map<string, ResultsFile[]>;
  /** `all` and one per base model id. */
  boards: Map<string, Leaderboard>;
}

let cached: Promise<SiteData> | undefined;

/** Everything the pages show, computed once per build by the same code as `ptb leaderboard`. */
export function siteData(): Promise<SiteData> {
  cached ??= load();
  return cached;
}

async function load(): Promise<SiteData> {
  const defs = await getCollection('definitions');
  const current = defs.find((d) => d.data.definition.status === 'current') ?? defs[0];
  if (!current) throw new Error('no benchmark definition');
  const def = resolveDefinition(current.data.definition);
  const entries = await getCollection('submissions');
  const submissions: Submission[] = entries
    .map((e) => ({ manifest: e.data.manifest, results: e.data.results }))
    .filter((s) => s.manifest.benchmarkVersion === def.version);
  const boards = new Map<string, Leaderboard>();
  boards.set('all', visible(buildLeaderboard(def, submissions, 'all')));
  for (const m of def.baseModels) boards.set(m.id, visible(buildLeaderboard(def, submissions, m.id)));
  return {
    def,
    submissions,
    manifests: new Map(submissions.map((s) => [s.manifest.id, s.manifest])),
    results: new Map(submissions.map((s) => [s.manifest.id, s.results])),
    boards,
  };
}

function visible(board: Leaderboard): Leaderboard {
  return { ...board, rows: board.rows.filter((r) => !r.hidden) };
}

/** URL slug of a base model: `Qwen/Qwen3-4B-Base` -> `qwen3-4b-base`. */
export const modelSlug = (m: BaseModel): string => m.key.toLowerCase();

export const pct = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined ? '–' : (100 * x).toFixed(digits);

export function hoursText(h: number): string {
  const minutes = Math.floor(h * 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * Where a value sits between the base models' zero-shot mean (0) and the instruct
 * models' mean (1) on a benchmark: the heat of a cell, comparable across columns.
 */
export function heat(
  def: ResolvedDefinition,
  benchmark: string,
  value: number | null | undefined,
  models: readonly BaseModel[],
): number {
  if (value === null || value === undefined) return 0;
  const zs = def.baselines.zeroShot;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const lo = mean(models.map((m) => zs[m.id]?.[benchmark] ?? 0));
  const hi = mean(models.map((m) => zs[m.instruct.id]?.[benchmark] ?? 1));
  if (hi <= lo) return 0;
  return Math.min(1, Math.max(0, (value - lo) / (hi - lo)));
}

export function penaltiesIn(row: LeaderboardRow, benchmark: string, modelIds: ReadonlySet<string>) {
  return row.cells
    .filter((c) => c.benchmark === benchmark && modelIds.has(c.baseModel))
    .flatMap((c) => c.penalties.map((p) => ({ ...p, baseModel: c.baseModel })));
}

export const PENALTY_LABEL: Record<string, string> = {
  missing: 'missing',
  broken: 'broken',
  flagged: 'flagged',
};
