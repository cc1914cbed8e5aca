import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CellResult } from '@ptb/core';
import { simpleGit } from 'simple-git';
import { commitAndPush, fetchBranch } from './git.ts';

/**
 * Durable storage of verified cell results, before any comment is posted: a branch of the
 * repository itself (default `ptb-results`), one JSON file per cell under
 * `<submission-id>/<manifest-sha256>/`. Git keeps every version; a retried cell is a new commit.
 */
export interface ResultsStore {
  load(submissionId: string, manifestSha256: string): Promise<CellResult[]>;
  save(
    submissionId: string,
    manifestSha256: string,
    cells: readonly CellResult[],
    message: string,
  ): Promise<{ committed: boolean }>;
}

/** One file per cell; base model ids (owner/name) become owner--name. */
export const cellPath = (
  submissionId: string,
  manifestSha256: string,
  c: Pick<CellResult, 'baseModel' | 'benchmark' | 'seed'>,
): string => `${submissionId}/${manifestSha256}/${c.baseModel.replace('/', '--')}.${c.benchmark}.seed-${c.seed}.json`;

export const serialize = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export class GitResultsStore implements ResultsStore {
  private readonly repoDir: string;
  private readonly branch: string;
  private readonly remote: string;
  private readonly log: (m: string) => void;

  constructor(opts: { repoDir: string; branch: string; remote?: string; log?: (m: string) => void }) {
    this.repoDir = opts.repoDir;
    this.branch = opts.branch;
    this.remote = opts.remote ?? 'origin';
    this.log = opts.log ?? (() => {});
  }

  async load(submissionId: string, manifestSha256: string): Promise<CellResult[]> {
    const git = simpleGit(this.repoDir);
    if (!(await fetchBranch(git, this.remote, this.branch))) return [];
    const ref = `refs/remotes/${this.remote}/${this.branch}`;
    const prefix = `${submissionId}/${manifestSha256}/`;
    const names = (await git.raw(['ls-tree', '-r', '--name-only', ref, '--', prefix]))
      .split('\n')
      .filter((n) => n.endsWith('.json'));
    const out: CellResult[] = [];
    for (const name of names) {
      const parsed = CellResult.safeParse(JSON.parse(await git.show([`${ref}:${name}`])));
      // The branch is written only by this code; a file that no longer parses is a bug to see, not to skip.
      if (!parsed.success) throw new Error(`${this.branch}:${name} is not a valid cell result: ${parsed.error.message}`);
      out.push(parsed.data);
    }
    return out;
  }

  async save(submissionId: string, manifestSha256: string, cells: readonly CellResult[], message: string) {
    if (cells.length === 0) return { committed: false };
    const outcome = await commitAndPush({
      repoDir: this.repoDir,
      remote: this.remote,
      branch: this.branch,
      message,
      createIfMissing: true,
      log: this.log,
      apply: async (dir) => {
        const paths: string[] = [];
        for (const c of cells) {
          const path = cellPath(submissionId, manifestSha256, c);
          await mkdir(dirname(join(dir, path)), { recursive: true });
          await writeFile(join(dir, path), serialize(c));
          paths.push(path);
        }
        return paths;
      },
    });
    return { committed: outcome.committed };
  }
}
