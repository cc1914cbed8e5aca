import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import type { AccessEntry } from '../egress/access-log.ts';
import type { EgressDenyRule } from '../egress/policy.ts';
import { buildTimeline, type TraceRecord } from './timeline.ts';

/** At most `maxBytes` of a file (its head), never more: the harness reads nothing of unbounded size. */
export function readBounded(path: string, maxBytes: number): string {
  if (!existsSync(path) || !statSync(path).isFile()) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(maxBytes, statSync(path).size));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const jsonLines = <T>(text: string): T[] =>
  text.split('\n').flatMap((l) => {
    if (!l.trim()) return [];
    try {
      return [JSON.parse(l) as T];
    } catch {
      return [];
    }
  });

export interface TimelineFiles {
  scaffold: string;
  model: string | null;
  agentStartMs: number;
  budgetSeconds: number;
  traceFile: string;
  evaluateLog: string;
  llmLog: string;
  access: AccessEntry[];
  deny: readonly EgressDenyRule[];
  harness: { atMs: number; text: string }[];
  redact: (text: string) => string;
  out: string;
}

/** Builds `logs/timeline.json` from the cell's logs (each read in bounded size). */
export function writeTimeline(f: TimelineFiles): { events: number; truncated: boolean } {
  const timeline = buildTimeline({
    scaffold: f.scaffold,
    model: f.model,
    agentStartMs: f.agentStartMs,
    budgetSeconds: f.budgetSeconds,
    trace: jsonLines<TraceRecord>(readBounded(f.traceFile, 16 * 2 ** 20)),
    access: f.access,
    deny: f.deny,
    evaluateCalls: jsonLines(readBounded(f.evaluateLog, 4 * 2 ** 20)),
    llmLog: jsonLines(readBounded(f.llmLog, 16 * 2 ** 20)),
    harness: f.harness,
    redact: f.redact,
  });
  writeFileSync(f.out, `${JSON.stringify(timeline)}\n`);
  return { events: timeline.events.length, truncated: timeline.truncated };
}
