import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CellResult, Timeline, validateResultsText, validateSubmissions } from '@ptb/core';
import { loadDefinition, readAllSubmissions } from '@ptb/core/files';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleActions } from '../src/bundle.ts';
import { sha256 } from '../src/context.ts';
import { commitAndPush } from '../src/git.ts';
import { publish } from '../src/publish-flow.ts';
import { GitResultsStore, type ResultsStore, timelinePath } from '../src/store.ts';
import { type GitHttpStandIn, startGitHttp } from './support/git-http-standin.ts';
import { makeRepo, manifestYaml, removeTempDirs, runBundled, type TestRepo, tempDir } from './support/harness.ts';

let repo: TestRepo;
const manifests = { 'ada-agent': manifestYaml('ada-agent', 'ada', 2), 'bob-agent': manifestYaml('bob-agent', 'bob', 1) };

function cell(id: string, manifest: string, baseModel: string, benchmark: string, seed: number): CellResult {
  const h = (s: string) => sha256(new TextEncoder().encode(s));
  return CellResult.parse({
    schemaVersion: 1,
    submissionId: id,
    manifestSha256: h(manifest),
    definitionVersion: 'v1',
    baseModel,
    benchmark,
    seed,
    status: 'scored',
    score: { value: 0.5, stderr: 0.01, samples: 30 },
    timeUsedSeconds: 36_000,
    gpuHours: 10,
    integrity: [],
    provenance: {
      kind: 'verified',
      harnessCommit: h('harness').slice(0, 40),
      images: { agent: `ghcr.io/ptb/agent@sha256:${h('a')}`, evaluation: `ghcr.io/ptb/eval@sha256:${h('e')}` },
      finalModelSha256: h('m'),
      traceSha256: null,
      runner: 'gpu-1',
      startedAt: '2026-11-26T00:00:00.000Z',
      finishedAt: '2026-11-26T10:00:00.000Z',
      links: [],
    },
  });
}

async function clone(name: string): Promise<string> {
  const dir = join(tempDir(`clone-${name}`), 'repo');
  await simpleGit().clone(repo.remote, dir);
  // Tests set the identity they commit with; they never rely on the machine's global git config.
  await simpleGit(dir).addConfig('user.name', 'test').addConfig('user.email', 'test@example.org');
  return dir;
}

const remote = () => simpleGit(repo.remote);

beforeAll(async () => {
  repo = await makeRepo();
  // Two merged submissions on main, and their verified results in the store.
  for (const [id, yaml] of Object.entries(manifests)) {
    await mkdir(join(repo.root, 'submissions', id), { recursive: true });
    await writeFile(join(repo.root, 'submissions', id, 'submission.yaml'), yaml);
  }
  const git = simpleGit(repo.root);
  await git.add('.').commit('merge two submissions').push('origin', 'main');
  const store = new GitResultsStore({ repoDir: repo.root, branch: 'ptb-results' });
  const sha = (id: keyof typeof manifests) => sha256(new TextEncoder().encode(manifests[id]));
  await store.save(
    'ada-agent',
    sha('ada-agent'),
    [
      cell('ada-agent', manifests['ada-agent'], 'Qwen/Qwen3-4B-Base', 'gsm8k', 1),
      cell('ada-agent', manifests['ada-agent'], 'Qwen/Qwen3-4B-Base', 'gsm8k', 2),
    ],
    'ada results',
  );
  await store.save(
    'bob-agent',
    sha('bob-agent'),
    [cell('bob-agent', manifests['bob-agent'], 'google/gemma-3-4b-pt', 'aime2025', 1)],
    'bob results',
  );
  // Results of an older version of ada's manifest must not be published.
  await store.save('ada-agent', 'f'.repeat(64), [cell('ada-agent', 'old', 'Qwen/Qwen3-4B-Base', 'bfcl', 1)], 'stale');
}, 60_000);
afterAll(() => {
  repo.cleanup();
  removeTempDirs();
});

describe('commitAndPush against a local bare remote', { timeout: 60_000 }, () => {
  it('five concurrent writers all land: a non-fast-forward push retries on the new tip', async () => {
    const clones = await Promise.all([0, 1, 2, 3, 4].map((i) => clone(`w${i}`)));
    const outcomes = await Promise.all(
      clones.map((dir, i) =>
        commitAndPush({
          repoDir: dir,
          branch: 'main',
          message: `note ${i}`,
          apply: async (wt) => {
            await mkdir(join(wt, 'notes'), { recursive: true });
            writeFileSync(join(wt, 'notes', `${i}.txt`), `writer ${i}\n`);
            return [`notes/${i}.txt`];
          },
        }),
      ),
    );
    expect(outcomes.every((o) => o.committed)).toBe(true);
    expect(outcomes.some((o) => o.attempts > 1)).toBe(true);
    const tree = await remote().raw(['ls-tree', '--name-only', 'main', 'notes/']);
    expect(tree.trim().split('\n').sort()).toEqual([0, 1, 2, 3, 4].map((i) => `notes/${i}.txt`));
    // The caller's checkout is untouched and its worktrees are cleaned up.
    expect((await simpleGit(clones[0]).raw(['worktree', 'list'])).trim().split('\n')).toHaveLength(1);
  });
});

describe('publish after merge', { timeout: 60_000 }, () => {
  it('commits run files of exactly the merged manifests, retrying when someone pushes in between', async () => {
    const dir = await clone('publisher');
    const rival = await clone('rival');
    const store = new GitResultsStore({ repoDir: dir, branch: 'ptb-results' });
    let raced = false;
    const racing: ResultsStore = {
      save: store.save.bind(store),
      load: async (id, sha) => {
        if (!raced) {
          // Another merge lands on main while we publish: our first push is non-fast-forward.
          raced = true;
          writeFileSync(join(rival, 'README.md'), 'another merge\n');
          await simpleGit(rival).add('README.md').commit('another merge').push('origin', 'main');
        }
        return store.load(id, sha);
      },
    };
    const outcome = await publish({ repoDir: dir, branch: 'main', store: racing });
    expect(outcome.committed).toBe(true);
    expect(outcome.attempts).toBe(2);
    expect(outcome.published).toEqual(['ada-agent', 'bob-agent']);
    const files = (await remote().raw(['ls-tree', '-r', '--name-only', 'main', 'submissions/ada-agent', 'submissions/bob-agent']))
      .trim()
      .split('\n');
    expect(files).toEqual([
      'submissions/ada-agent/results/run-1.json',
      'submissions/ada-agent/results/run-2.json',
      'submissions/ada-agent/submission.yaml',
      'submissions/bob-agent/results/run-1.json',
      'submissions/bob-agent/submission.yaml',
    ]);
    expect(await remote().raw(['show', 'main:README.md'])).toBe('another merge\n');
    const run1 = await remote().raw(['show', 'main:submissions/ada-agent/results/run-1.json']);
    const check = validateResultsText(run1, 'run-1.json', 'ada-agent');
    expect(check.diagnostics).toEqual([]);
    expect(check.results).toMatchObject({ kind: 'run', seed: 1, cells: [{ benchmark: 'gsm8k' }] });
    expect(run1).not.toContain('bfcl'); // the stale manifest's results stay out
    expect(await remote().raw(['log', '-1', '--format=%an %s', 'main'])).toBe(
      'ptb-bot Publish verified results: ada-agent, bob-agent [skip actions]\n',
    );
  });

  it('concurrent publishers of the same merge: one commit, the other finds nothing to do; a re-run is a no-op', async () => {
    const before = Number((await remote().raw(['rev-list', '--count', 'main'])).trim());
    // New results for bob arrive (a retried cell), then two publish runs race.
    const store = new GitResultsStore({ repoDir: repo.root, branch: 'ptb-results' });
    await store.save(
      'bob-agent',
      sha256(new TextEncoder().encode(manifests['bob-agent'])),
      [cell('bob-agent', manifests['bob-agent'], 'google/gemma-3-4b-pt', 'bfcl', 1)],
      'retry',
    );
    const dirs = await Promise.all([clone('p1'), clone('p2')]);
    const outcomes = await Promise.all(
      dirs.map((d) => publish({ repoDir: d, branch: 'main', store: new GitResultsStore({ repoDir: d, branch: 'ptb-results' }) })),
    );
    expect(outcomes.filter((o) => o.committed)).toHaveLength(1);
    expect(Number((await remote().raw(['rev-list', '--count', 'main'])).trim())).toBe(before + 1);
    const bob = JSON.parse(await remote().raw(['show', 'main:submissions/bob-agent/results/run-1.json'])) as { cells: unknown[] };
    expect(bob.cells).toHaveLength(2);
    const again = await publish({
      repoDir: dirs[0] as string,
      branch: 'main',
      store: new GitResultsStore({ repoDir: dirs[0] as string, branch: 'ptb-results' }),
    });
    expect(again.committed).toBe(false);
    expect(readFileSync(join(dirs[0] as string, 'package.json'), 'utf8')).toContain('ptb-test-repo');
  });

  it('the publish action (bundle) publishes new results and reports the commit the site is built from', async () => {
    const [bundle = ''] = await bundleActions(['publish'], tempDir('bundle'));
    const dir = await clone('action');
    const store = new GitResultsStore({ repoDir: dir, branch: 'ptb-results' });
    await store.save(
      'ada-agent',
      sha256(new TextEncoder().encode(manifests['ada-agent'])),
      [cell('ada-agent', manifests['ada-agent'], 'Qwen/Qwen3-1.7B-Base', 'humaneval', 2)],
      'more',
    );
    const run = await runBundled(bundle, {
      eventName: 'push',
      event: { ref: 'refs/heads/main' },
      inputs: { branch: 'main', token: 'ghs_app' },
      api: 'http://127.0.0.1:9',
      workspace: dir,
    });
    expect(run.code, run.output).toBe(0);
    expect(run.outputs.published).toBe('ada-agent');
    expect(run.outputs.sha).toBe((await remote().revparse(['main'])).trim());
    const second = await runBundled(bundle, {
      eventName: 'workflow_dispatch',
      event: {},
      inputs: { branch: 'main', token: 'ghs_app' },
      api: 'http://127.0.0.1:9',
      workspace: dir,
    });
    expect(second.code, second.output).toBe(0);
    expect(second.outputs.published).toBe('');
    expect(second.output).toContain('nothing new to publish');
  });
});

describe('results on main always match the manifest there', { timeout: 60_000 }, () => {
  it('results run for an earlier version of a manifest are removed when the manifest changes', async () => {
    const dir = await clone('changed');
    // ada edits her merged manifest: the results on main were run for the old one.
    const edited = manifestYaml('ada-agent', 'ada', 2, 'links: []\n');
    writeFileSync(join(dir, 'submissions/ada-agent/submission.yaml'), edited);
    await simpleGit(dir).add('.').commit('ada edits her manifest').push('origin', 'main');
    expect(await remote().raw(['ls-tree', '--name-only', 'main', 'submissions/ada-agent/results/'])).toContain('run-1.json');
    const outcome = await publish({
      repoDir: dir,
      branch: 'main',
      store: new GitResultsStore({ repoDir: dir, branch: 'ptb-results' }),
    });
    expect(outcome.removed).toEqual(['submissions/ada-agent/results/run-1.json', 'submissions/ada-agent/results/run-2.json']);
    expect(await remote().raw(['ls-tree', '--name-only', 'main', 'submissions/ada-agent/results/'])).toBe('');
    // bob's results still match his manifest and stay.
    expect(await remote().raw(['ls-tree', '--name-only', 'main', 'submissions/bob-agent/results/'])).toContain('run-1.json');
  });
});

describe('publish on a protected main (git over HTTP, rulesets as on github.com)', { timeout: 60_000 }, () => {
  let server: GitHttpStandIn;
  const WORKFLOW_TOKEN = 'ghs_workflow_token';
  const APP_TOKEN = 'ghs_app_installation_token';
  beforeAll(async () => {
    server = await startGitHttp({
      bare: repo.remote,
      tokens: { [WORKFLOW_TOKEN]: 'github-actions[bot]', [APP_TOKEN]: 'ptb-bot[bot]' },
      protectedRefs: ['refs/heads/main', 'refs/heads/ptb-results'],
      bypass: 'ptb-bot[bot]',
    });
  });
  afterAll(() => server.close());

  /** What actions/checkout leaves without persist-credentials: false: the workflow token in .git/config. */
  async function checkout(): Promise<string> {
    const dir = join(tempDir('https-checkout'), 'repo');
    const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${WORKFLOW_TOKEN}`).toString('base64')}`;
    await simpleGit().clone(server.url, dir, ['-c', `http.extraHeader=${header}`]);
    await simpleGit(dir).addConfig('http.extraHeader', header);
    await simpleGit(dir).addConfig('user.name', 'test').addConfig('user.email', 'test@example.org');
    return dir;
  }

  it('the workflow token is refused on main and on the results branch; the App token passes', async () => {
    const store = new GitResultsStore({ repoDir: repo.root, branch: 'ptb-results' });
    await store.save(
      'bob-agent',
      sha256(new TextEncoder().encode(manifests['bob-agent'])),
      [cell('bob-agent', manifests['bob-agent'], 'google/gemma-3-4b-pt', 'gsm8k', 1)],
      'one more',
    );
    const dir = await checkout();
    // As before: publish pushing with the persisted workflow token.
    await expect(
      publish({ repoDir: dir, branch: 'main', store: new GitResultsStore({ repoDir: dir, branch: 'ptb-results' }) }),
    ).rejects.toThrow(/GH013: Repository rule violations found for refs\/heads\/main/);
    await expect(
      new GitResultsStore({ repoDir: dir, branch: 'ptb-results' }).save(
        'x',
        'y'.repeat(64),
        [cell('bob-agent', 'z', 'google/gemma-3-4b-pt', 'bfcl', 1)],
        'm',
      ),
    ).rejects.toThrow(/GH013/);
    // The publish action with the App's token.
    const [bundle = ''] = await bundleActions(['publish'], tempDir('bundle'));
    const run = await runBundled(bundle, {
      eventName: 'push',
      event: { ref: 'refs/heads/main' },
      inputs: { branch: 'main', token: APP_TOKEN },
      api: 'http://127.0.0.1:9',
      workspace: dir,
      env: { GIT_TERMINAL_PROMPT: '0' },
    });
    expect(run.code, run.output).toBe(0);
    expect(run.outputs.published).toBe('bob-agent');
    expect(server.pushes.filter((p) => p.ok).map((p) => p.actor)).toEqual(['ptb-bot[bot]']);
    expect(server.pushes.filter((p) => !p.ok).map((p) => p.actor)).toEqual(['github-actions[bot]', 'github-actions[bot]']);
    // The token never lands in the checkout's configuration.
    expect(readFileSync(join(dir, '.git', 'config'), 'utf8')).not.toContain(
      Buffer.from(`x-access-token:${APP_TOKEN}`).toString('base64'),
    );
  });
});

describe('the trace viewer gets each stored cell its timeline', { timeout: 60_000 }, () => {
  it('a timeline stored beside a result is published where the site and `ptb validate` read it', async () => {
    const dir = await clone('traces');
    const store = new GitResultsStore({ repoDir: dir, branch: 'ptb-results' });
    const bob = cell('bob-agent', manifests['bob-agent'], 'google/gemma-3-4b-pt', 'aime2025', 1);
    const digest = sha256(new TextEncoder().encode(manifests['bob-agent']));
    const timeline = Timeline.parse({
      schemaVersion: 1,
      scaffold: 'claude-code',
      model: 'claude-opus-4-6',
      startedAt: '2026-11-26T00:00:00Z',
      budgetSeconds: 36000,
      events: [{ kind: 'tool-call', t: 3, tool: 'Bash', command: 'python3 train.py' }],
      totals: { messages: 0, toolCalls: 1, webRequests: 0, deniedRequests: 0, evaluateCalls: 0, inputTokens: 0, outputTokens: 0 },
      truncated: false,
    });
    await store.writeQueue({ [timelinePath('bob-agent', digest, bob)]: timeline }, 'bob timeline');
    // The stored timeline is not mistaken for a cell result.
    const loaded = await store.load('bob-agent', digest);
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.every((c) => CellResult.safeParse(c).success)).toBe(true);
    const outcome = await publish({ repoDir: dir, branch: 'main', store });
    expect(outcome.committed).toBe(true);
    const rel = 'submissions/bob-agent/traces/run-1/gemma-3-4b-pt--aime2025.json';
    const published = await remote().raw(['show', `main:${rel}`]);
    expect(Timeline.parse(JSON.parse(published))).toEqual(timeline);
    // The published folder validates as the site and the CLI check it (trace tied to a verified cell).
    await simpleGit(dir).pull('origin', 'main');
    const check = validateSubmissions(readAllSubmissions(dir), ['v1'], { definitionOf: () => loadDefinition('v1') });
    expect(check.diagnostics.filter((d) => d.file.includes('bob-agent'))).toEqual([]);
    expect(check.traces.map((t) => t.file)).toContain(rel);
  });
});
