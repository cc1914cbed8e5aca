import { gunzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { readBounded, walkTree } from '../safe-fs.ts';
import { readZip } from '../verify/zip.ts';

/** A piece of text the agent left somewhere, and where it came from (a file, a member of an archive, a decoded run). */
export interface TextSource {
  path: string;
  text: string;
}

export interface SourceLimits {
  /** Bytes read from one file. */
  perFile: number;
  /** Bytes of text produced in all (decoding included). */
  total: number;
  /** Nesting of containers (base64 of gzip of zip...). */
  depth: number;
}

export const SOURCE_LIMITS: SourceLimits = { perFile: 64 * 2 ** 20, total: 512 * 2 ** 20, depth: 3 };

const isGzip = (b: Uint8Array) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
const isZip = (b: Uint8Array) => b.length > 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
const isParquet = (b: Uint8Array) =>
  b.length > 8 &&
  Buffer.from(b.subarray(0, 4)).toString('latin1') === 'PAR1' &&
  Buffer.from(b.subarray(-4)).toString('latin1') === 'PAR1';

/** Share of bytes that are printable ASCII or UTF-8 continuation/lead bytes, over a sample. */
function printableShare(b: Uint8Array): number {
  const n = Math.min(b.length, 4096);
  if (n === 0) return 1;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i] as number;
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 0xc2) ok++;
  }
  return ok / n;
}

/** Runs of printable text in binary data (Arrow IPC and datasets' .arrow files keep strings as plain UTF-8 bytes). */
function printableRuns(b: Uint8Array, minLength = 24): string {
  const text = Buffer.from(b).toString('latin1');
  return (text.match(new RegExp(`[\\t\\n\\r\\x20-\\x7e]{${minLength},}`, 'g')) ?? []).join('\n');
}

/** Long base64 runs inside text, decoded (a test set hidden as base64 is still a test set). */
function base64Runs(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/]{64,}={0,2}/g)) {
    const decoded = Buffer.from(m[0], 'base64');
    if (decoded.length >= 32) out.push(decoded);
  }
  return out;
}

/** Strings of the rows of a parquet file, one line per row. */
async function parquetText(b: Uint8Array, maxBytes: number): Promise<string> {
  const file = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({
    file,
    compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input, { maxOutputLength: maxBytes })) },
  })) as Record<string, unknown>[];
  const lines: string[] = [];
  let size = 0;
  for (const row of rows) {
    const line = Object.values(row)
      .filter((v): v is string => typeof v === 'string')
      .join(' ');
    size += line.length;
    if (size > maxBytes) break;
    lines.push(line);
  }
  return lines.join('\n');
}

/**
 * Every piece of text in the given files, with containers opened and encodings undone:
 * gzip, zip members, parquet rows, printable runs of other binary files (Arrow), and long
 * base64 runs in text. Bounded in bytes and nesting; a file that cannot be decoded
 * contributes its printable runs. Never follows links (the tree walk lists, never opens, them).
 */
export async function* textSources(
  files: Iterable<{ path: string; bytes: Uint8Array }>,
  limits: SourceLimits = SOURCE_LIMITS,
): AsyncGenerator<TextSource> {
  let budget = limits.total;
  async function* open(path: string, bytes: Uint8Array, depth: number): AsyncGenerator<TextSource> {
    if (budget <= 0) return;
    if (depth < limits.depth) {
      try {
        if (isGzip(bytes)) {
          yield* open(`${path}!gunzip`, gunzipSync(bytes, { maxOutputLength: Math.min(budget, limits.perFile) }), depth + 1);
          return;
        }
        if (isZip(bytes)) {
          for (const [name, member] of readZip(Buffer.from(bytes), Math.min(budget, limits.perFile)))
            yield* open(`${path}!${name}`, member, depth + 1);
          return;
        }
        if (isParquet(bytes)) {
          const text = await parquetText(bytes, Math.min(budget, limits.perFile));
          budget -= text.length;
          yield { path: `${path}!parquet`, text };
          return;
        }
      } catch {
        // Not what its magic bytes claimed (or too large): fall back to its printable runs.
      }
    }
    const text = printableShare(bytes) > 0.9 ? Buffer.from(bytes).toString('utf8') : printableRuns(bytes);
    budget -= text.length;
    yield { path, text };
    if (depth < limits.depth)
      for (const [i, decoded] of base64Runs(text).entries()) yield* open(`${path}!base64#${i + 1}`, decoded, depth + 1);
  }
  for (const f of files) yield* open(f.path, f.bytes, 0);
}

/**
 * The files of the workspace worth scanning for test items: everything the agent wrote
 * (final_model/ included: an answer table hidden in the model is still contamination),
 * except the harness's own templates; each read in a bounded piece, links never followed.
 */
export function* workspaceFiles(
  workspace: string,
  limits: SourceLimits = SOURCE_LIMITS,
): Generator<{ path: string; bytes: Uint8Array }> {
  let budget = limits.total;
  for (const f of walkTree(workspace).entries) {
    if (f.kind !== 'file' || f.rel.startsWith('templates/') || f.size === 0) continue;
    // Weights are numbers, not text: their few printable runs are not worth the bytes.
    if (/\.(safetensors|bin|pt|pth|gguf|ckpt|npy|npz)$/i.test(f.rel) && f.size > 2 ** 20) continue;
    if (budget <= 0) return;
    const read = readBounded(`${workspace}/${f.rel}`, Math.min(limits.perFile, budget));
    if (!read) continue;
    budget -= read.bytes.length;
    yield { path: f.rel, bytes: read.bytes };
  }
}
