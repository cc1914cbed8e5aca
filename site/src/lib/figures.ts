import { hoursMinutes, type Leaderboard, type LeaderboardRow, percent, type ResolvedDefinition } from '@ptb/core';
import type { Bar } from '../components/Bars.astro';

/**
 * The numbers behind the site's story: who leads and by how much, how much of the way from
 * the base models to the official instruct models that is, and the bars of the charts.
 */

export const ranked = (board: Leaderboard): LeaderboardRow[] =>
  board.rows.filter((r) => r.kind === 'agent' && r.rank !== null && r.score !== null);

const ref = (board: Leaderboard, id: string) => board.rows.find((r) => r.submissionId === id && r.score !== null);

export interface Headline {
  leader: LeaderboardRow;
  /** The best agent after the leader's score (null when the leader is alone). */
  next: LeaderboardRow | null;
  /** Leader minus next as shown (both rounded to the percent's one decimal), as a fraction. */
  lead: number;
  base: number | null;
  instruct: number | null;
  /** (leader − base) / (instruct − base): the share of the post-training gap the leader closes. */
  closed: number | null;
  tiedLeaders: LeaderboardRow[];
}

/** A fraction as the site shows it (percent with one decimal), back as a fraction: differences then add up on screen. */
const shown = (x: number) => Math.round(1000 * x) / 1000;

export function headline(board: Leaderboard): Headline | null {
  const agents = ranked(board);
  const leader = agents[0];
  if (!leader?.score) return null;
  const tiedLeaders = agents.filter((r) => r.rank === 1);
  const next = agents.find((r) => r.rank !== 1) ?? null;
  const base = ref(board, 'base-zero-shot')?.score?.mean ?? null;
  const instruct = ref(board, 'official-instruct')?.score?.mean ?? null;
  return {
    leader,
    next,
    lead: next?.score ? shown(leader.score.mean) - shown(next.score.mean) : 0,
    base,
    instruct,
    closed: base !== null && instruct !== null && instruct > base ? (leader.score.mean - base) / (instruct - base) : null,
    tiedLeaders,
  };
}

export const scoreText = (r: LeaderboardRow): string =>
  r.score ? `${percent(r.score.mean)}${r.score.std !== null ? ` ± ${percent(r.score.std)}` : ''}` : 'n/a';

/** Ranked agents and the reference rows that frame them (instruct above, base models below). */
export function scoreBars(board: Leaderboard, base: string): { bars: Bar[]; max: number; ticks: number[] } {
  const framing = new Set(['official-instruct', 'base-zero-shot']);
  const bars: Bar[] = board.rows
    .filter((r) => r.score !== null && ((r.kind === 'agent' && r.rank !== null) || framing.has(r.submissionId)))
    .sort((a, b) => (b.score?.mean ?? 0) - (a.score?.mean ?? 0))
    .map((r) => {
      const mean = 100 * (r.score?.mean ?? 0);
      const std = 100 * (r.score?.std ?? 0);
      return {
        label: r.displayName,
        href: `${base}submissions/${r.submissionId}/`,
        value: mean,
        ...(std > 0 ? { lo: mean - std, hi: mean + std } : {}),
        text: scoreText(r),
        tone: r.submissionId === 'official-instruct' ? 'instruct' : r.submissionId === 'base-zero-shot' ? 'base' : 'agent',
        ...(r.kind === 'agent' && r.scaffold ? { scaffold: r.scaffold } : {}),
      };
    });
  const top = Math.max(10, ...bars.map((b) => b.hi ?? b.value));
  const max = Math.ceil((top + 1) / 10) * 10;
  return { bars, max, ticks: range(0, max, 10) };
}

/** Time each agent used of the budget, mean ± std over runs, longest first. */
export function timeBars(
  board: Leaderboard,
  def: ResolvedDefinition,
  base: string,
): { bars: Bar[]; max: number; ticks: number[] } {
  const bars: Bar[] = ranked(board)
    .filter((r) => r.timeUsed)
    .sort((a, b) => (b.timeUsed?.meanHours ?? 0) - (a.timeUsed?.meanHours ?? 0))
    .map((r) => {
      const t = r.timeUsed ?? { meanHours: 0, stdHours: null };
      return {
        label: r.displayName,
        href: `${base}submissions/${r.submissionId}/`,
        value: t.meanHours,
        ...(t.stdHours ? { lo: t.meanHours - t.stdHours, hi: t.meanHours + t.stdHours } : {}),
        text: `${hoursMinutes(t.meanHours)}${t.stdHours !== null ? ` ± ${hoursMinutes(t.stdHours)}` : ''}`,
        tone: 'agent',
        ...(r.scaffold ? { scaffold: r.scaffold } : {}),
      };
    });
  return { bars, max: def.budget.hours, ticks: range(0, def.budget.hours, 2) };
}

export function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to + 1e-9; v += step) out.push(v);
  return out;
}

/**
 * Aggregate cells whose every run scored exactly the base model's zero-shot score (std 0):
 * what a penalty in each run gives, or a model the agent did not improve at all.
 */
export function cellsAtBase(row: LeaderboardRow, def: ResolvedDefinition): { baseModel: string; benchmark: string }[] {
  const zero = def.baselines.zeroShot;
  return row.cells.filter((c) => {
    const b = zero[c.baseModel]?.[c.benchmark];
    return b !== undefined && c.runs > 1 && c.std !== null && c.std < 1e-9 && Math.abs(c.mean - b) < 1e-9;
  });
}
