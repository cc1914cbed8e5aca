import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** Files under a directory (relative, sorted, `/`-separated); symlinks are listed, not followed. */
export function listTree(root: string): { rel: string; kind: 'file' | 'link' }[] {
  const out: { rel: string; kind: 'file' | 'link' }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, e.name);
      const rel = relative(root, full).split(sep).join('/');
      if (e.isSymbolicLink()) out.push({ rel, kind: 'link' });
      else if (e.isDirectory()) walk(full);
      else if (e.isFile()) out.push({ rel, kind: 'file' });
    }
  };
  walk(root);
  return out;
}

/**
 * A content hash of a directory tree: sha256 over "<path>\0<file sha256>\n" lines in path
 * order, so renaming, adding or changing any file changes it. Null when the directory is absent.
 */
export async function treeSha256(root: string): Promise<string | null> {
  if (!existsSync(root) || !lstatSync(root).isDirectory()) return null;
  const lines: string[] = [];
  for (const f of listTree(root)) {
    const digest = f.kind === 'link' ? sha256(`link:${readlinkSync(join(root, f.rel))}`) : await fileSha256(join(root, f.rel));
    lines.push(`${f.rel}\0${digest}\n`);
  }
  return sha256(lines.join(''));
}
