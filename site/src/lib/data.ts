import { getCollection } from 'astro:content';
import {
  type BaseModel,
  baselineMeans,
  buildLeaderboard,
  type CellTrace,
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
  /** Agent timelines of verified cells, per submission id. */
  traces: Map<string, CellTrace[]>;
}

let cached: Promise<SiteData> | undefined;

/** Everything the pages show, computed once per build by the same code as `ptb leaderboard`. */
export function siteData(): Promise<SiteData> {
  cached ??= load();
  return cached;
}

async function load(): Promise<SiteData> {
  const defs = await getCollection('definitions');
  const currentDef = defs.find((d) => d.data.definition.status === 'current') ?? defs[0];
  if (!currentDef) throw new Error('no benchmark definition');
  const def = resolveDefinition(currentDef.data.definition);
  const entries = await getCollection('submissions');
  const current = entries.filter((e) => e.data.manifest.benchmarkVersion === def.version);
  const submissions: Submission[] = current.map((e) => ({ manifest: e.data.manifest, results: e.data.results }));
  const boards = new Map<string, Leaderboard>();
  boards.set('all', visible(buildLeaderboard(def, submissions, 'all')));
  for (const m of def.baseModels) boards.set(m.id, visible(buildLeaderboard(def, submissions, m.id)));
  return {
    def,
    submissions,
    manifests: new Map(submissions.map((s) => [s.manifest.id, s.manifest])),
    results: new Map(submissions.map((s) => [s.manifest.id, s.results])),
    boards,
    traces: new Map(current.map((e) => [e.data.manifest.id, e.data.traces])),
  };
}

function visible(board: Leaderboard): Leaderboard {
  return { ...board, rows: board.rows.filter((r) => !r.hidden) };
}

/** URL slug of a base model: `Qwen/Qwen3-4B-Base` -> `qwen3-4b-base`. */
export const modelSlug = (m: BaseModel): string => m.key.toLowerCase();

/** Where the viewer shows a trace: the path of its file under the submission, as a folder. */
export const tracePath = (t: { submissionId: string; seed: number; baseModelKey: string; benchmark: string }): string =>
  `submissions/${t.submissionId}/traces/run-${t.seed}/${t.baseModelKey}--${t.benchmark}/`;

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

/**
 * Whether the penalised cells of a run-based submission are known: always for runs made here;
 * for an imported run only if its raw grid (`aggregated_<config>.csv`) was published next to the final one.
 */
export function penaltiesPublished(manifest: Manifest): boolean {
  const files = manifest.imported?.files;
  return !files || files.some((f) => f.startsWith('website-data/aggregated_'));
}

export const PENALTY_LABEL: Record<string, string> = {
  missing: 'missing',
  broken: 'broken',
  flagged: 'flagged',
};
