import { code } from './render.ts';

/**
 * What a pull request may change: one submission folder, and only the files a submitter writes.
 * Paths come from the PR and end up in the bot's comment: each goes through `code`, so a file
 * name cannot carry the comment's hidden markers.
 */

export interface ChangedFile {
  filename: string;
  status: string;
  previous_filename?: string | undefined;
}

export type ScopeVerdict =
  | { ok: true; submissionId: string; manifestPath: string; manifestChanged: boolean }
  | { ok: false; problems: string[] };

const SUBMITTER_FILES = new Set(['submission.yaml', 'README.md']);

/** Pure: decides from the PR's changed paths whether it is a submission PR the bot may handle. */
export function checkScope(files: readonly ChangedFile[]): ScopeVerdict {
  if (files.length === 0) return { ok: false, problems: ['the pull request changes no files'] };
  const problems: string[] = [];
  const outside: string[] = [];
  const ids = new Set<string>();
  for (const f of files) {
    for (const path of [f.filename, f.previous_filename].filter((p): p is string => typeof p === 'string')) {
      const m = /^submissions\/([^/]+)\/(.+)$/.exec(path);
      if (!m) {
        outside.push(path);
        continue;
      }
      const [, id = '', rest = ''] = m;
      ids.add(id);
      if (rest.startsWith('results/'))
        problems.push(
          `${code(path)}: results are written by the evaluation bot after a maintainer's approval; remove this change`,
        );
      else if (!SUBMITTER_FILES.has(rest))
        problems.push(`${code(path)}: a submission folder holds only submission.yaml and README.md; remove this file`);
      else if (rest === 'submission.yaml' && f.status === 'removed' && path === f.filename)
        problems.push(`${code(path)}: removing a submission is done by a maintainer; open an issue instead`);
    }
  }
  if (outside.length > 0) {
    const github = outside.some((p) => p.startsWith('.github/'));
    problems.unshift(
      `this pull request changes files outside \`submissions/<id>/\`: ${outside.map((p) => code(p)).join(', ')}.` +
        (github ? ' Changes to `.github/` are never accepted in a submission.' : '') +
        ' Open a separate pull request for anything that is not your submission.',
    );
  }
  if (ids.size > 1)
    problems.unshift(
      `this pull request touches ${ids.size} submission folders (${[...ids].map((i) => code(`submissions/${i}/`)).join(', ')}); one pull request may change exactly one`,
    );
  const [id] = [...ids];
  if (problems.length > 0 || id === undefined)
    return { ok: false, problems: problems.length ? problems : ['no submission folder'] };
  const manifestPath = `submissions/${id}/submission.yaml`;
  return { ok: true, submissionId: id, manifestPath, manifestChanged: files.some((f) => f.filename === manifestPath) };
}

/**
 * Pure: a folder that already exists on the default branch belongs to the GitHub user in its
 * manifest's contact.github; a new folder must name the PR's author there.
 */
export function checkOwnership(opts: {
  submissionId: string;
  author: string;
  existingOwner: string | null | undefined;
  exists: boolean;
}): string | null {
  const { submissionId, author, existingOwner, exists } = opts;
  if (!exists) return null;
  if (!existingOwner)
    return `${code(`submissions/${submissionId}/`)} already exists and has no contact.github owner (imported results); only a maintainer may change it`;
  if (existingOwner.toLowerCase() !== author.toLowerCase())
    return `${code(`submissions/${submissionId}/`)} belongs to @${existingOwner}; you (@${author}) may not edit another submitter's folder. Choose a new id for your submission`;
  return null;
}
