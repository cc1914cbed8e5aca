import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Io } from '../src/cli-kit.ts';
import { main } from '../src/main.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PUBLISHED = fileURLToPath(new URL('../data/posttrainbench-v1/', import.meta.url));

export function publishedCsv(name: string): Record<string, string>[] {
  return parse(readFileSync(`${PUBLISHED}${name}`, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
}

export function publishedJson<T>(name: string): T {
  return JSON.parse(readFileSync(`${PUBLISHED}${name}`, 'utf8')) as T;
}

/** Runs `ptb` in-process with captured output. */
export async function runPtb(argv: string[], cwd = REPO_ROOT): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), cwd, isTTY: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
