import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';

/** A token for git over HTTPS (a GitHub App installation token or the workflow token). */
export interface GitAuth {
  token: string;
}

const PASSED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
] as const;

/**
 * simple-git for a folder, authenticated with `auth` through git's environment configuration
 * (never written to .git/config, never on a command line that `ps` shows). Any extra header a
 * checkout persisted is reset first, so the push is made with this token and no other.
 */
export function gitFor(dir: string, auth?: GitAuth): SimpleGit {
  if (!auth) return simpleGit(dir);
  const server = (process.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${auth.token}`).toString('base64')}`;
  const config: [string, string][] = [
    ['http.extraHeader', ''],
    [`http.${server}/.extraheader`, ''],
    ['http.extraHeader', header],
  ];
  // What git needs to reach the server, nothing more (simple-git refuses variables such as EDITOR).
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const k of PASSED_ENV) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  // simple-git refuses configuration from the environment unless told that it is ours.
  const git = simpleGit({
    baseDir: dir,
    unsafe: { allowUnsafeConfigEnvCount: true } as { allowUnsafeCustomBinary?: boolean },
    allowEnvironment: [
      'GIT_TERMINAL_PROMPT',
      'GIT_CONFIG_COUNT',
      ...config.flatMap((_c, i) => [`GIT_CONFIG_KEY_${i}`, `GIT_CONFIG_VALUE_${i}`]),
    ],
  } as Parameters<typeof simpleGit>[0] & object);
  return git.env(env);
}

export interface CommitRequest {
  /** A clone of the repository. */
  repoDir: string;
  /** Credentials for fetch and push; without, the clone's own configuration is used. */
  auth?: GitAuth;
  remote?: string;
  branch: string;
  /** The commit message, or a function of the paths written (called after apply). */
  message: string | ((paths: string[]) => string);
  /** Writes the change into a fresh checkout of the branch's tip; returns the paths it wrote. Called once per attempt. */
  apply: (dir: string) => Promise<string[]>;
  author?: { name: string; email: string };
  attempts?: number;
  /** Creates the branch (with no history) if the remote lacks it. */
  createIfMissing?: boolean;
  log?: (message: string) => void;
}

export interface CommitOutcome {
  /** The commit that is now the branch's tip, null when the branch was left unchanged and does not exist. */
  sha: string | null;
  committed: boolean;
  attempts: number;
}

export const BOT_AUTHOR = { name: 'ptb-bot', email: '41898282+github-actions[bot]@users.noreply.github.com' };

// A push that lost a race is retried; one the server's rules refuse (a ruleset, a protected
// branch, a hook) would be refused again, so it fails at once with the server's words.
const isRejected = (e: unknown) =>
  !/pre-receive hook declined|GH0\d\d|protected branch|rule violation/i.test(String(e)) &&
  /non-fast-forward|\[rejected\]|fetch first|failed to push|cannot lock ref|stale info/i.test(String(e));

/**
 * Commits on top of the remote branch and pushes; when another writer pushed first (non-fast-
 * forward), starts again from the new tip and re-applies the change, so nothing is merged by hand.
 * Works in a temporary worktree so the caller's checkout is never touched.
 */
export async function commitAndPush(req: CommitRequest): Promise<CommitOutcome> {
  const remote = req.remote ?? 'origin';
  const attempts = req.attempts ?? 6;
  const author = req.author ?? BOT_AUTHOR;
  const log = req.log ?? (() => {});
  const main = gitFor(req.repoDir, req.auth);
  const dir = await mkdtemp(join(tmpdir(), 'ptb-worktree-'));
  try {
    await main.raw(['worktree', 'add', '--detach', dir]);
    const git: SimpleGit = gitFor(dir, req.auth).addConfig('user.name', author.name).addConfig('user.email', author.email);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const exists = await fetchBranch(git, remote, req.branch);
      if (exists) await git.raw(['checkout', '--force', '--detach', `refs/remotes/${remote}/${req.branch}`]);
      else if (req.createIfMissing) {
        await git.raw(['checkout', '--force', '--orphan', `ptb-new-${process.pid}-${attempt}`]);
        await git.raw(['rm', '-r', '-f', '-q', '--ignore-unmatch', '.']);
      } else throw new Error(`branch "${req.branch}" does not exist on ${remote}`);
      await git.raw(['clean', '-f', '-d', '-q']);
      const paths = await req.apply(dir);
      if (paths.length > 0) await git.add(paths);
      const staged = (await git.raw(['diff', '--cached', '--name-only'])).trim();
      if (staged === '') {
        const sha = exists ? (await git.revparse(['HEAD'])).trim() : null;
        return { sha, committed: false, attempts: attempt };
      }
      await git.commit(typeof req.message === 'string' ? req.message : req.message(paths));
      try {
        const porcelain = await git.raw(['push', '--porcelain', remote, `HEAD:refs/heads/${req.branch}`]);
        // Two writers can make the very same commit in the same second (same tree, parent,
        // author and time): the second push then finds it there already ("=") and wrote nothing.
        const wrote = !/^=\t/m.test(porcelain);
        return { sha: (await git.revparse(['HEAD'])).trim(), committed: wrote, attempts: attempt };
      } catch (e) {
        if (!isRejected(e) || attempt === attempts) throw e;
        log(`push to ${req.branch} rejected (attempt ${attempt}); someone pushed first, retrying on the new tip`);
        await new Promise((r) => setTimeout(r, 50 * attempt + Math.floor(Math.random() * 100)));
      }
    }
    throw new Error(`could not push to ${req.branch} after ${attempts} attempts`);
  } finally {
    await main.raw(['worktree', 'remove', '--force', dir]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fetches one branch into refs/remotes; false when the remote does not have it. */
export async function fetchBranch(git: SimpleGit, remote: string, branch: string): Promise<boolean> {
  const heads = await git.raw(['ls-remote', '--heads', remote, `refs/heads/${branch}`]);
  if (heads.trim() === '') return false;
  await git.raw(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]);
  return true;
}
