import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

/** A grid as published: base-model label -> benchmark id -> cell text ("0.25", "ERR", "not stored"). */
export type RawGrid = Record<string, Record<string, string>>;

/** The files of the publication that the importer reads, as text, keyed by file name. */
export interface PublishedData {
  dir: string;
  files: Map<string, string>;
}

export function readPublishedData(dir: string): PublishedData {
  const websiteData = join(dir, 'website-data');
  const paperData = join(dir, 'paper-plots-data');
  if (!existsSync(websiteData)) throw new Error(`${dir} has no website-data/ folder; pass --from <folder of the published data>`);
  const files = new Map<string, string>();
  for (const f of readdirSync(websiteData)) files.set(`website-data/${f}`, readFileSync(join(websiteData, f), 'utf8'));
  if (existsSync(paperData))
    for (const f of readdirSync(paperData)) files.set(`paper-plots-data/${f}`, readFileSync(join(paperData, f), 'utf8'));
  return { dir, files };
}

export function csvRows(data: PublishedData, name: string): Record<string, string>[] {
  const text = data.files.get(name);
  if (text === undefined) throw new Error(`published data has no ${name}`);
  return parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
}

export function grid(data: PublishedData, name: string): RawGrid {
  return Object.fromEntries(
    csvRows(data, name).map((row) => {
      const { model, ...cells } = row;
      if (!model) throw new Error(`${name}: a row without a model name`);
      return [model, cells];
    }),
  );
}

/** Numeric cell value, or null for the publication's markers of a missing or failed cell. */
export function cellNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (trimmed === '' || !/^-?\d/.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

/** "H:MM:SS" to seconds. */
export function durationSeconds(text: string): number {
  const parts = text.trim().split(':').map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) throw new Error(`not a H:MM:SS duration: "${text}"`);
  const [h = 0, m = 0, s = 0] = parts;
  return h * 3600 + m * 60 + s;
}
