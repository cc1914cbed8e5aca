import { inflateRawSync } from 'node:zlib';

/**
 * The members of a zip archive (Inspect's `.eval` log format) in memory, one at a time: the
 * end of central directory record, then each central entry and its local header. Stored and
 * deflated members only, which is what Inspect writes. A member inflating past
 * `maxMemberBytes`, or all of them past `maxTotalBytes`, throws, and so do two entries that
 * share their data: a zip bomb ends there, with only what was yielded before it read.
 */
export function* zipMembers(
  buf: Buffer,
  limits: { maxMemberBytes?: number; maxTotalBytes?: number } = {},
): Generator<[string, Buffer]> {
  const maxMember = limits.maxMemberBytes ?? 2 ** 31;
  let left = limits.maxTotalBytes ?? Number.POSITIVE_INFINITY;
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const seen = new Set<number>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (seen.has(local)) throw new Error(`zip members share their data (${name}): not an archive anyone writes`);
    seen.add(local);
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`corrupt zip local header for ${name}`);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataStart, dataStart + compressed);
    const room = Math.min(maxMember, left);
    let member: Buffer;
    if (method === 0) {
      if (raw.length > room) throw new RangeError(`zip member ${name} is past the limit`);
      member = Buffer.from(raw);
    } else if (method === 8) member = inflateRawSync(raw, { maxOutputLength: Math.max(1, room) });
    else throw new Error(`zip member ${name} uses unsupported compression method ${method}`);
    left -= member.length;
    yield [name, member];
  }
}

/** Every member of a zip archive at once (see zipMembers). */
export function readZip(buf: Buffer, maxMemberBytes = 2 ** 31): Map<string, Buffer> {
  return new Map(zipMembers(buf, { maxMemberBytes }));
}
