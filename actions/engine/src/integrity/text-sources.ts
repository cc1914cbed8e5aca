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

/**
 * What the scan left unread. Its limits keep its time bounded; what they leave out is
 * reported (an agent can fill its workspace to push a file past them), never dropped silently.
 */
export interface ScanCoverage {
  /** Files not read at all: past the byte budget, unreadable, or not listed by the bounded walk. */
  filesUnread: number;
  /** Files read or decoded only in part (past the per-file limit). */
  filesCut: number;
  /** Some of them, for the evidence. */
  examples: string[];
}

export const emptyCoverage = (): ScanCoverage => ({ filesUnread: 0, filesCut: 0, examples: [] });

const note = (coverage: ScanCoverage, kind: 'filesUnread' | 'filesCut', what: string) => {
  coverage[kind]++;
  if (coverage.examples.length < 10) coverage.examples.push(what);
};

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

// The patterns below are written `X{n}X*`, never `X{n,}`: V8 runs the latter on a stack that a
// run of a few megabytes overflows, and the agent chooses what these files hold.
const PRINTABLE_RUN = /[\t\n\r\x20-\x7e]{24}[\t\n\r\x20-\x7e]*/g;
const BASE64_RUN = /[A-Za-z0-9+/]{64}[A-Za-z0-9+/]*={0,2}/g;

/** Runs of printable text in binary data (Arrow IPC and datasets' .arrow files keep strings as plain UTF-8 bytes). */
function printableRuns(b: Uint8Array): string {
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  return (text.match(PRINTABLE_RUN) ?? []).join('\n');
}

/** Long base64 runs inside text, decoded (a test set hidden as base64 is still a test set). */
function base64Runs(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(BASE64_RUN)) {
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
  coverage: ScanCoverage = emptyCoverage(),
): AsyncGenerator<TextSource> {
  let budget = limits.total;
  async function* open(path: string, bytes: Uint8Array, depth: number): AsyncGenerator<TextSource> {
    if (budget <= 0) {
      note(coverage, 'filesUnread', `${path} (the scan's budget of decoded text was spent)`);
      return;
    }
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
      } catch (e) {
        // Not what its magic bytes claimed, or too large: fall back to its printable runs.
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          note(coverage, 'filesCut', `${path} (decoded past the scan's limit of ${limits.perFile} bytes)`);
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

const FLOAT_DTYPES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1 };

/**
 * The JSON header of a .safetensors file whose tensors are all floating-point and fill the
 * rest of the file exactly; null for anything else. Such a file's data is numbers, not text,
 * so only its header (names, metadata) is scanned. A file named like weights that is not
 * this (whatever its extension) is scanned whole.
 */
function floatSafetensorsHeader(path: string, size: number): Buffer | null {
  const head = readBounded(path, 8);
  if (!head || head.bytes.length < 8) return null;
  const n = Number(head.bytes.readBigUInt64LE(0));
  if (n < 2 || n > 100 * 2 ** 20 || 8 + n > size) return null;
  const read = readBounded(path, 8 + n);
  if (!read || read.bytes.length !== 8 + n || read.size !== size) return null;
  const header = read.bytes.subarray(8);
  let table: unknown;
  try {
    table = JSON.parse(header.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof table !== 'object' || table === null || Array.isArray(table)) return null;
  const spans: [number, number][] = [];
  for (const [name, t] of Object.entries(table)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: at } = (t ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const width = typeof dtype === 'string' ? FLOAT_DTYPES[dtype] : undefined;
    if (!width || !Array.isArray(shape) || !Array.isArray(at) || at.length !== 2) return null;
    const count = shape.reduce(
      (p: number, d: unknown) => (Number.isSafeInteger(d) && (d as number) >= 0 ? p * (d as number) : Number.NaN),
      1,
    );
    const [begin, end] = at as unknown[];
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (end as number) - (begin as number) !== count * width)
      return null;
    spans.push([begin as number, end as number]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [begin, end] of spans) {
    if (begin !== next) return null;
    next = end;
  }
  return next === size - 8 - n ? header : null;
}

/**
 * The files of the workspace worth scanning for test items: everything the agent wrote
 * (final_model/ included: an answer table hidden in the model is still contamination),
 * except the harness's own templates; smallest first, so that a few large files cannot
 * crowd out the rest; each read in a bounded piece, links never followed. What the limits
 * leave out goes into `coverage`.
 */
export function* workspaceFiles(
  workspace: string,
  limits: SourceLimits = SOURCE_LIMITS,
  coverage: ScanCoverage = emptyCoverage(),
): Generator<{ path: string; bytes: Uint8Array }> {
  let budget = limits.total;
  const walk = walkTree(workspace);
  if (walk.skipped > 0)
    note(coverage, 'filesUnread', `${walk.skipped} entries past the walk's depth, count or path-length limits`);
  const files = walk.entries
    .filter((f) => f.kind === 'file' && !f.rel.startsWith('templates/') && f.size > 0)
    .sort((a, b) => a.size - b.size);
  for (const f of files) {
    const path = `${workspace}/${f.rel}`;
    if (budget <= 0) {
      note(coverage, 'filesUnread', `${f.rel} (${f.size} bytes, past the scan's budget of ${limits.total} bytes)`);
      continue;
    }
    const header = /\.safetensors$/i.test(f.rel) ? floatSafetensorsHeader(path, f.size) : null;
    if (header) {
      budget -= header.length;
      yield { path: `${f.rel}!header`, bytes: header };
      continue;
    }
    const read = readBounded(path, Math.min(limits.perFile, budget));
    if (!read) {
      note(coverage, 'filesUnread', `${f.rel} (not a regular file any more)`);
      continue;
    }
    budget -= read.bytes.length;
    if (read.truncated) note(coverage, 'filesCut', `${f.rel} (${read.bytes.length} of ${read.size} bytes read)`);
    yield { path: f.rel, bytes: read.bytes };
  }
}
