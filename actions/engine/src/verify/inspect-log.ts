import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readZip } from './zip.ts';

/** What verification needs from an Inspect evaluation log. */
export interface InspectSummary {
  status: 'started' | 'success' | 'cancelled' | 'error';
  task: string;
  model: string;
  metrics: Record<string, number>;
  /** The headline metric (accuracy, or the first metric of the first scorer) and its stderr. */
  value: number | null;
  stderr: number | null;
  samples: number | null;
  error: string | null;
}

interface RawLog {
  version?: number;
  status?: string;
  eval?: { task?: string; model?: string };
  results?: {
    total_samples?: number;
    completed_samples?: number;
    scores?: { name?: string; metrics?: Record<string, { value?: number }> }[];
  } | null;
  error?: { message?: string; traceback?: string } | null;
}

const HEADLINE = ['accuracy', 'mean', 'win_rate', 'score'];

/** Summarises a version-2 Inspect log object (the `.json` format, or `header.json` of an `.eval` archive). */
export function summariseLog(raw: unknown, metric?: string): InspectSummary {
  if (typeof raw !== 'object' || raw === null || !('eval' in raw)) throw new Error('not an Inspect log: no "eval" field');
  const log = raw as RawLog;
  if (log.version !== undefined && log.version < 2)
    throw new Error(`Inspect log version ${log.version} is not supported (need 2)`);
  const status = (
    ['started', 'success', 'cancelled', 'error'].includes(log.status ?? '') ? log.status : 'started'
  ) as InspectSummary['status'];
  const metrics: Record<string, number> = {};
  let value: number | null = null;
  let stderr: number | null = null;
  for (const score of log.results?.scores ?? []) {
    for (const [name, m] of Object.entries(score.metrics ?? {})) {
      if (typeof m?.value !== 'number' || !Number.isFinite(m.value)) continue;
      metrics[`${score.name ?? 'score'}/${name}`] = m.value;
      if (name === 'stderr') stderr ??= m.value;
      else if (value === null && HEADLINE.includes(name)) value = m.value;
    }
  }
  if (metric) {
    // The definition names the headline metric; its scorer's *stderr metric goes with it.
    const scorer = metric.split('/')[0];
    value = metrics[metric] ?? null;
    stderr = Object.entries(metrics).find(([k]) => k.startsWith(`${scorer}/`) && k.endsWith('stderr'))?.[1] ?? null;
  } else if (value === null) {
    const first = Object.entries(metrics).find(([k]) => !k.endsWith('/stderr'));
    value = first ? first[1] : null;
  }
  return {
    status,
    task: log.eval?.task ?? 'unknown',
    model: log.eval?.model ?? 'unknown',
    metrics,
    value,
    stderr,
    samples: log.results?.completed_samples ?? log.results?.total_samples ?? null,
    error: log.error ? [log.error.message, log.error.traceback].filter(Boolean).join('\n') || 'unknown error' : null,
  };
}

/** Reads one log file: `.json`, or `.eval` (zip: header.json, or _journal/start.json while unfinished). */
export function readInspectLog(path: string, metric?: string): InspectSummary {
  const bytes = readFileSync(path);
  if (path.endsWith('.eval')) {
    const members = readZip(bytes);
    const header = members.get('header.json') ?? members.get('_journal/start.json');
    if (!header) throw new Error(`${path}: .eval archive has neither header.json nor _journal/start.json`);
    return summariseLog(JSON.parse(header.toString('utf8')), metric);
  }
  return summariseLog(JSON.parse(bytes.toString('utf8')), metric);
}

/** The newest `.json` or `.eval` log in a directory, or null. */
export function newestLog(dir: string): string | null {
  let best: { path: string; mtime: number } | null = null;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return null;
  }
  for (const name of entries) {
    if (!name.endsWith('.json') && !name.endsWith('.eval')) continue;
    const path = join(dir, name);
    const mtime = statSync(path).mtimeMs;
    if (!best || mtime > best.mtime) best = { path, mtime };
  }
  return best?.path ?? null;
}
