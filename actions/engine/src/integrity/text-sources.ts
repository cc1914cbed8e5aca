import type { Transform } from 'node:stream';
import { constants, createGunzip, createInflateRaw, gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects, snappyUncompress } from 'hyparquet';
import { readBounded, walkTree } from '../safe-fs.ts';
import { zipMembers } from '../verify/zip.ts';

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

const note = (coverage: ScanCoverage, kind: 'filesUnread' | 'filesCut', what: string, count = 1) => {
  coverage[kind] += count;
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

/**
 * Values a parquet file may declare before it is read: a few hundred kilobytes of
 * dictionary-encoded rows can stand for tens of millions of them, each a JS object once read
 * (20 million took 2 GB of the harness's memory).
 */
const MAX_PARQUET_VALUES = 1_000_000;

/** Strings of the rows of a parquet file, one line per row; refused when it declares more than the scan would hold. */
async function parquetText(b: Uint8Array, maxBytes: number): Promise<{ text: string; cut: boolean }> {
  const file = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  let values = 0;
  for (const group of metadata.row_groups)
    for (const column of group.columns) values += Number(column.meta_data?.num_values ?? 0);
  if (values > MAX_PARQUET_VALUES || Number(metadata.num_rows) > MAX_PARQUET_VALUES)
    throw new Error(`it declares ${values} values in ${metadata.num_rows} rows, past the scan's ${MAX_PARQUET_VALUES}`);
  // A page declares its own decoded size: none may claim more than the scan would read.
  const bounded = (decode: (input: Uint8Array, size: number) => Uint8Array) => (input: Uint8Array, size: number) => {
    if (size > maxBytes) throw new Error(`a page declares ${size} bytes decoded, past the scan's ${maxBytes}`);
    return decode(input, size);
  };
  const rows = (await parquetReadObjects({
    file,
    compressors: {
      GZIP: bounded((input) => new Uint8Array(gunzipSync(input, { maxOutputLength: maxBytes }))),
      SNAPPY: bounded((input, size) => {
        const out = new Uint8Array(size);
        snappyUncompress(input, out);
        return out;
      }),
    },
  })) as Record<string, unknown>[];
  const lines: string[] = [];
  let size = 0;
  for (const row of rows) {
    const line = Object.values(row)
      .filter((v): v is string => typeof v === 'string')
      .join(' ');
    size += line.length;
    if (size > maxBytes) return { text: lines.join('\n'), cut: true };
    lines.push(line);
  }
  return { text: lines.join('\n'), cut: false };
}

/** The first `maxBytes` a zlib stream gives for `input`, and whether that was all of it (an error after some output keeps it). */
function decodePrefix(z: Transform, input: Uint8Array, maxBytes: number): Promise<{ bytes: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (complete: boolean) => {
      settled = true;
      resolve({ bytes: Buffer.concat(parts), complete });
      z.destroy();
    };
    z.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (size + chunk.length >= maxBytes) {
        parts.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        settle(false);
        return;
      }
      parts.push(chunk);
      size += chunk.length;
    });
    z.on('end', () => settled || settle(true));
    z.on('error', (e) => {
      if (settled) return;
      if (size > 0) settle(false);
      else {
        settled = true;
        reject(e);
      }
    });
    z.end(input);
  });
}

/** Where a gzip member's deflate data starts, past its header and optional fields. */
function gzipDataStart(b: Uint8Array): number {
  const flags = b[3] as number;
  let at = 10;
  if (flags & 4) at += 2 + ((b[at] as number) | ((b[at + 1] as number) << 8));
  for (const bit of [8, 16]) if (flags & bit) while (at < b.length && b[at++] !== 0);
  if (flags & 2) at += 2;
  return at;
}

/**
 * The first `maxBytes` a gzip file decodes to, and whether that was all of it. A file past
 * the limit, damaged, or followed by junk (which makes zlib's gunzip give nothing at all)
 * still gives its first member's text, decoded as raw deflate data.
 */
async function gunzipPrefix(b: Uint8Array, maxBytes: number): Promise<{ bytes: Buffer; complete: boolean }> {
  try {
    return await decodePrefix(createGunzip(), b, maxBytes);
  } catch {
    const first = await decodePrefix(
      createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH }),
      b.subarray(gzipDataStart(b)),
      maxBytes,
    );
    return { bytes: first.bytes, complete: false };
  }
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
    const container = isGzip(bytes) ? 'gzip' : isZip(bytes) ? 'zip' : isParquet(bytes) ? 'parquet' : null;
    if (container && depth >= limits.depth)
      note(coverage, 'filesCut', `${path} (a ${container} nested deeper than ${limits.depth} containers: not opened)`);
    else if (container) {
      const room = Math.min(budget, limits.perFile);
      let opened = false;
      try {
        if (container === 'gzip') {
          const decoded = await gunzipPrefix(bytes, room);
          opened = true;
          if (!decoded.complete)
            note(coverage, 'filesCut', `${path} (decoded in part: past ${room} bytes, or damaged after them)`);
          yield* open(`${path}!gunzip`, decoded.bytes, depth + 1);
        } else if (container === 'zip') {
          const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          for (const [name, member] of zipMembers(buf, { maxMemberBytes: room, maxTotalBytes: room })) {
            opened = true;
            yield* open(`${path}!${name}`, member, depth + 1);
          }
        } else {
          const parquet = await parquetText(bytes, room);
          opened = true;
          if (parquet.cut) note(coverage, 'filesCut', `${path} (parquet rows past ${room} bytes not read)`);
          budget -= parquet.text.length;
          yield { path: `${path}!parquet`, text: parquet.text };
        }
        return;
      } catch (e) {
        // Not what its magic bytes claimed, damaged, or past the limits: what was decoded
        // before stands; with nothing decoded, its printable runs are read instead.
        note(
          coverage,
          'filesCut',
          `${path} (a ${container} that could not be decoded whole: ${e instanceof Error ? e.message.slice(0, 200) : String(e)})`,
        );
        if (opened) return;
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
 * except the harness's own templates; weights too, judged by what they hold rather than by
 * their name (their printable runs cost little, and a tensor of bytes can be a test set);
 * smallest first, so that a few large files cannot crowd out the rest; each read in a
 * bounded piece, links never followed. What the limits leave out goes into `coverage`.
 */
export function* workspaceFiles(
  workspace: string,
  limits: SourceLimits = SOURCE_LIMITS,
  coverage: ScanCoverage = emptyCoverage(),
): Generator<{ path: string; bytes: Uint8Array }> {
  let budget = limits.total;
  const walk = walkTree(workspace);
  if (walk.skipped > 0)
    note(coverage, 'filesUnread', `${walk.skipped} entries past the walk's depth, count or path-length limits`, walk.skipped);
  const files = walk.entries
    .filter((f) => f.kind === 'file' && !f.rel.startsWith('templates/') && f.size > 0)
    .sort((a, b) => a.size - b.size);
  for (const f of files) {
    const path = `${workspace}/${f.rel}`;
    if (budget <= 0) {
      note(coverage, 'filesUnread', `${f.rel} (${f.size} bytes, past the scan's budget of ${limits.total} bytes)`);
      continue;
    }
    const read = readBounded(path, Math.min(limits.perFile, budget));
    if (!read) {
      note(coverage, 'filesUnread', `${f.rel} (could not be opened as a regular file)`);
      continue;
    }
    budget -= read.bytes.length;
    if (read.truncated) note(coverage, 'filesCut', `${f.rel} (${read.bytes.length} of ${read.size} bytes read)`);
    yield { path: f.rel, bytes: read.bytes };
  }
}
