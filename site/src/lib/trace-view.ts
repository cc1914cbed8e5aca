import type { Timeline, TimelineEvent } from '@ptb/core';

/**
 * What the trace viewer shows, computed from a Timeline: clock times, time left, tool calls
 * paired with their results, and the GPU samples as polyline points. No DOM, so it is easy to check.
 */

/** Seconds as H:MM:SS. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Time left of the budget at `t`, or how far past it. */
export function timeLeft(t: number, budget: number): string {
  return t <= budget ? `${clock(budget - t)} left` : `${clock(t - budget)} over`;
}

export type ToolCall = Extract<TimelineEvent, { kind: 'tool-call' }>;
export type ToolResult = Extract<TimelineEvent, { kind: 'tool-result' }>;

export type Row =
  | { kind: 'tool'; t: number; call: ToolCall; result: ToolResult | null }
  | { kind: 'orphan-result'; t: number; result: ToolResult }
  | { kind: 'event'; t: number; event: Exclude<TimelineEvent, ToolCall | ToolResult> };

/**
 * Events in time order (stable), each tool call with its result: by id when both have one,
 * else the first unclaimed result that follows it.
 */
export function timelineRows(timeline: Timeline): Row[] {
  const events = timeline.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i);
  const claimed = new Set<number>();
  const rows: Row[] = [];
  for (const [pos, { e }] of events.entries()) {
    if (e.kind === 'tool-call') {
      let match = -1;
      for (let k = pos + 1; k < events.length; k++) {
        const r = events[k]?.e;
        if (r?.kind !== 'tool-result' || claimed.has(k)) continue;
        if (e.id !== undefined && r.id !== undefined ? r.id === e.id : true) {
          match = k;
          break;
        }
      }
      if (match >= 0) claimed.add(match);
      const result = match >= 0 ? (events[match]?.e as ToolResult) : null;
      rows.push({ kind: 'tool', t: e.t, call: e, result });
    } else if (e.kind === 'tool-result') {
      if (!claimed.has(pos)) rows.push({ kind: 'orphan-result', t: e.t, result: e });
    } else {
      rows.push({ kind: 'event', t: e.t, event: e });
    }
  }
  return rows;
}

export type Of<K extends TimelineEvent['kind']> = Extract<TimelineEvent, { kind: K }>;

export function eventsOf<K extends TimelineEvent['kind']>(timeline: Timeline, kind: K): Of<K>[] {
  return timeline.events.filter((e): e is Of<K> => e.kind === kind).sort((a, b) => a.t - b.t);
}

/** GPU samples as SVG polyline points in a 1000 × 100 box: utilisation in %, memory as a share of `memoryMiB`. */
export function usagePoints(timeline: Timeline, memoryMiB: number): { utilization: string; memory: string; samples: number } {
  const gpu = eventsOf(timeline, 'gpu');
  const span = Math.max(timeline.budgetSeconds, ...timeline.events.map((e) => e.t), 1);
  const x = (t: number) => ((1000 * t) / span).toFixed(1);
  const y = (share: number) => (100 - 100 * Math.min(1, Math.max(0, share))).toFixed(1);
  return {
    utilization: gpu.map((g) => `${x(g.t)},${y(g.utilization / 100)}`).join(' '),
    memory: gpu.map((g) => `${x(g.t)},${y(g.memoryMiB / memoryMiB)}`).join(' '),
    samples: gpu.length,
  };
}

/** Where an event sits on the usage chart's time axis (0 to 1000). */
export function axisX(timeline: Timeline, t: number): number {
  const span = Math.max(timeline.budgetSeconds, ...timeline.events.map((e) => e.t), 1);
  return (1000 * t) / span;
}

/** The last moment the timeline records: how long the agent ran, as far as the trace tells. */
export function lastEventSeconds(timeline: Timeline): number {
  return timeline.events.reduce((m, e) => Math.max(m, e.t), 0);
}
