import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';

export interface ChangelogEntry {
  hash: string;
  date: string;
  message: string;
  added: string[];
  updated: string[];
  removed: string[];
}

/**
 * Which submissions were added, re-run or removed when, from the git history of
 * submissions/. A checkout without history (or without git) gives an empty changelog.
 */
export async function changelog(root: string, limit = 200): Promise<ChangelogEntry[]> {
  if (!existsSync(join(root, '.git'))) return [];
  const git = simpleGit(root);
  const raw = await git.raw([
    'log',
    `-n${limit}`,
    '--date=short',
    '--name-status',
    '--format=%x1e%H%x1f%ad%x1f%s',
    '--',
    'submissions',
  ]);
  return raw
    .split('\x1e')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const [header = '', ...lines] = chunk.trim().split('\n');
      const [hash = '', date = '', message = ''] = header.split('\x1f');
      const byStatus = { A: new Set<string>(), M: new Set<string>(), D: new Set<string>() };
      for (const line of lines) {
        const [status = '', path = ''] = line.split('\t');
        const id = /^submissions\/([^/]+)\//.exec(path)?.[1];
        const key = status.charAt(0) as 'A' | 'M' | 'D';
        if (id && key in byStatus) byStatus[key].add(id);
      }
      const added = [...byStatus.A];
      return {
        hash,
        date,
        message,
        added,
        updated: [...byStatus.M].filter((id) => !byStatus.A.has(id)),
        removed: [...byStatus.D].filter((id) => !byStatus.A.has(id)),
      };
    })
    .filter((e) => e.added.length + e.updated.length + e.removed.length > 0);
}
