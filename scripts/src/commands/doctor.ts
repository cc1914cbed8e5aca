import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { findRepoRoot } from '@ptb/core/files';
import { type Command, EXIT, UsageError } from '../cli-kit.ts';

export const command: Command = {
  usage: `Usage: ptb doctor [--repo owner/name] [--app-id <id>] [--token-env GITHUB_TOKEN] [--json]

Reads the repository's settings through the GitHub API and says, in the order MAINTAINERS.md sets
them up, what is in place and what is missing: workflow permissions, the Pages source, the
GitHub App (variable and key), the rulesets on the default branch and the results branch (the App
their bypass actor), the three environments, the approve label, and the organisation's runner
group. What the token may not read is reported as unknown, with what to check by hand.

Options:
  --repo       owner/name (default: the origin remote of this checkout)
  --app-id     the App's numeric id: the rulesets must name exactly it as bypass actor
  --token-env  the variable holding a token (default GITHUB_TOKEN; admin rights show everything)
  --json       print the findings as JSON

Environment: GITHUB_API_URL (default https://api.github.com).
Exit codes: 0 everything in place (unknowns aside), 1 something missing, 2 bad usage, 3 internal error.`,
  options: {
    repo: { type: 'string' },
    'app-id': { type: 'string' },
    'token-env': { type: 'string', default: 'GITHUB_TOKEN' },
    json: { type: 'boolean', default: false },
  },
  async run({ values }, io) {
    const tokenEnv = String(values['token-env']);
    const token = process.env[tokenEnv];
    if (!token) throw new UsageError(`no token: set ${tokenEnv} (a token that may read the repository's settings)`);
    const root = findRepoRoot(io.cwd);
    const slug = typeof values.repo === 'string' ? values.repo : originSlug(root);
    const [owner, repo] = slug.split('/');
    if (!owner || !repo) throw new UsageError(`--repo must be owner/name, got "${slug}"`);
    const appId = values['app-id'] === undefined ? undefined : Number(values['app-id']);
    if (appId !== undefined && !Number.isInteger(appId)) throw new UsageError("--app-id takes the App's numeric id");
    // Loaded here, not at the top: the other commands do not pay for Octokit.
    const { CONFIG_PATH, createOctokit, judgeSettings, loadConfig, readSettings } = await import('@ptb/pipeline');
    const config = loadConfig(join(root, CONFIG_PATH));
    const octokit = createOctokit({ token, baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com', log: io.err });
    const findings = judgeSettings(
      await readSettings(octokit, { owner, repo }, config),
      config,
      { owner, repo },
      appId === undefined ? {} : { appId },
    );
    if (values.json) io.out(JSON.stringify(findings, null, 2));
    else {
      const mark = { ok: '✓', missing: '✗', unknown: '?' } as const;
      for (const f of findings)
        io.out(
          `${mark[f.verdict]} ${f.step}. ${f.what}${f.verdict === 'ok' ? '' : `\n    ${f.verdict === 'unknown' ? 'cannot tell' : 'missing'}: ${f.detail}`}`,
        );
      const missing = findings.filter((f) => f.verdict === 'missing').length;
      io.out(
        missing === 0
          ? '\nEverything the pipeline needs is in place.'
          : `\n${missing} setting(s) missing; MAINTAINERS.md says how to make each.`,
      );
    }
    return findings.some((f) => f.verdict === 'missing') ? EXIT.invalid : EXIT.ok;
  },
};

/** owner/name of the checkout's origin remote (https or ssh form). */
function originSlug(root: string): string {
  let url = '';
  try {
    url = execFileSync('git', ['-C', root, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).trim();
  } catch {
    throw new UsageError('no origin remote here: pass --repo owner/name');
  }
  const m = /[/:]([^/:]+)\/([^/]+?)(\.git)?$/.exec(url);
  if (!m?.[1] || !m[2]) throw new UsageError(`cannot read owner/name from the origin remote ${url}: pass --repo owner/name`);
  return `${m[1]}/${m[2]}`;
}
