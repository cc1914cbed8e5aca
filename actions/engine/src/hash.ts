import { createHash } from 'node:crypto';
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { safeFileSha256, walkTree } from './safe-fs.ts';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** sha256 of a regular file; throws when the path is anything else (the harness's own files only). */
export async function fileSha256(path: string): Promise<string> {
  const digest = await safeFileSha256(path);
  if (digest === null) throw new Error(`${path} is not a regular file`);
  return digest;
}

/** Files and links under a directory (relative, sorted, `/`-separated); links are listed, not followed; the walk is bounded. */
export function listTree(root: string): { rel: string; kind: 'file' | 'link' }[] {
  return walkTree(root)
    .entries.filter((e) => e.kind !== 'special')
    .map((e) => ({ rel: e.rel, kind: e.kind as 'file' | 'link' }));
}

/**
 * A content hash of a directory tree: sha256 over "<path>\0<file sha256>\n" lines in path
 * order, so renaming, adding or changing any file changes it. Null when the directory is absent.
 */
export async function treeSha256(root: string): Promise<string | null> {
  try {
    if (!lstatSync(root).isDirectory()) return null;
  } catch {
    return null;
  }
  const lines: string[] = [];
  for (const f of listTree(root)) {
    let digest: string;
    if (f.kind === 'link') {
      let target = '?';
      try {
        target = readlinkSync(join(root, f.rel));
      } catch {
        // gone
      }
      digest = sha256(`link:${target}`);
    } else digest = (await safeFileSha256(join(root, f.rel))) ?? sha256('unreadable');
    lines.push(`${f.rel}\0${digest}\n`);
  }
  return sha256(lines.join(''));
}
