import {
  type AgentManifest,
  buildLeaderboard,
  type CellResult,
  type Leaderboard,
  type LeaderboardRow,
  RESULT_SCHEMA_VERSION,
  type ResolvedDefinition,
  type RunResultsFile,
  type Submission,
} from '@ptb/core';
import { allCells, type CellSpec, cellOf } from './cells.ts';

/** Pure: the run files of one submission (one per seed) from its stored cell results. */
export function runFiles(def: ResolvedDefinition, manifest: AgentManifest, cells: readonly CellResult[]): RunResultsFile[] {
  const files: RunResultsFile[] = [];
  for (let seed = 1; seed <= manifest.runs; seed++) {
    const mine = cells
      .filter((c) => c.seed === seed)
      .sort((a, b) => a.baseModel.localeCompare(b.baseModel) || a.benchmark.localeCompare(b.benchmark));
    const times = mine.map((c) => c.timeUsedSeconds).filter((t): t is number => typeof t === 'number');
    files.push({
      kind: 'run',
      schemaVersion: RESULT_SCHEMA_VERSION,
      submissionId: manifest.id,
      definitionVersion: def.version,
      seed,
      meanTimeUsedSeconds: times.length > 0 ? times.reduce((a, b) => a + b, 0) / times.length : 'unknown',
      cells: mine,
    });
  }
  return files;
}

export interface Evaluation {
  row: LeaderboardRow;
  leaderboard: Leaderboard;
  /** Agents ranked, this one included, for "would rank #n of m". */
  rankedAgents: number;
  pending: CellSpec[];
  runs: RunResultsFile[];
}

/**
 * Pure: scores a submission among those already published, so the comment can say what it
 * scored, what rank it would take, and which cells are still missing.
 */
export function evaluateSubmission(
  def: ResolvedDefinition,
  manifest: AgentManifest,
  cells: readonly CellResult[],
  published: readonly Submission[],
): Evaluation {
  const runs = runFiles(def, manifest, cells);
  const others = published.filter((s) => s.manifest.id !== manifest.id);
  const leaderboard = buildLeaderboard(def, [...others, { manifest: { ...manifest, hidden: false }, results: runs }]);
  const row = leaderboard.rows.find((r) => r.submissionId === manifest.id);
  if (!row) throw new Error(`internal error: ${manifest.id} missing from its own leaderboard`);
  const have = new Set(cells.map((c) => cellOf(def, c).id));
  return {
    row,
    leaderboard,
    rankedAgents: leaderboard.rows.filter((r) => r.rank !== null).length,
    pending: allCells(def, manifest.runs).filter((c) => !have.has(c.id)),
    runs,
  };
}
