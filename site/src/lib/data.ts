import { getCollection } from 'astro:content';
import {
  type BaseModel,
  baselineMeans,
  buildLeaderboard,
  type Leaderboard,
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

export { hoursMinutes as hoursText, percent as pct } from '@ptb/core';

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
  const { base: lo, instruct: hi } = baselineMeans(def, benchmark, models);
  if (!(hi > lo)) return 0;
  return Math.min(1, Math.max(0, (value - lo) / (hi - lo)));
}

export const PENALTY_LABEL: Record<string, string> = {
  missing: 'missing',
  broken: 'broken',
  flagged: 'flagged',
};
