// Shared set-up of the end-to-end tests: a real git repository with a bare remote (the
// "default branch" checkout the workflows use), the actions bundled with esbuild as in
// production, and a runner that starts an action's bundle as GitHub Actions would.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { afterAll } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const FAKE_PTB = join(dirname(fileURLToPath(import.meta.url)), 'fake-ptb.ts');

const tempDirs: string[] = [];
/** Removes every folder tempDir made (also run after each test file, passed or failed). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
afterAll(removeTempDirs);
export const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `ptb-${prefix}-`));
  tempDirs.push(dir);
  return dir;
};

export interface TestRepo {
  /** A clone with `origin` pointing at the bare remote: what actions/checkout leaves behind. */
  root: string;
  remote: string;
  cleanup: () => void;
}

/** A repository with the project's definitions, pipeline configuration and submissions, pushed to a bare remote. */
export async function makeRepo(opts: { fleetSize?: number } = {}): Promise<TestRepo> {
  const base = tempDir('repo');
  const remote = join(base, 'remote.git');
  const root = join(base, 'checkout');
  await simpleGit().init(['--bare', '--initial-branch=main', remote]);
  mkdirSync(root);
  for (const p of ['actions/core/definitions', 'actions/pipeline/config', 'submissions'])
    cpSync(join(REPO_ROOT, p), join(root, p), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{ "name": "ptb-test-repo", "private": true }\n');
  if (opts.fleetSize !== undefined) {
    const config = join(root, 'actions/pipeline/config/pipeline.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^fleetSize: \d+$/m, `fleetSize: ${opts.fleetSize}`));
  }
  const git = simpleGit(root);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'test').addConfig('user.email', 'test@example.org');
  await git.add('.').commit('initial').addRemote('origin', remote).push('origin', 'main');
  return { root, remote, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export interface ActionRun {
  code: number | null;
  output: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Starts a bundled action the way the runner does: inputs and context through the environment. */
export async function runBundled(
  bundle: string,
  opts: {
    eventName: string;
    event: unknown;
    inputs?: Record<string, string>;
    api: string;
    workspace: string;
    env?: Record<string, string>;
  },
): Promise<ActionRun> {
  const dir = tempDir('action');
  const eventPath = join(dir, 'event.json');
  const outputPath = join(dir, 'output');
  const summaryPath = join(dir, 'summary.md');
  writeFileSync(eventPath, JSON.stringify(opts.event));
  writeFileSync(outputPath, '');
  writeFileSync(summaryPath, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: opts.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'ptb-org/leaderboard',
    GITHUB_API_URL: opts.api,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    RUNNER_TEMP: dir,
    PTB_GITHUB_RETRY_BASE_MS: '5',
    ...opts.env,
  };
  for (const [k, v] of Object.entries(opts.inputs ?? {})) env[`INPUT_${k.toUpperCase()}`] = v;
  const chunks: string[] = [];
  const code = await new Promise<number | null>((res, rej) => {
    const child = spawn(process.execPath, [bundle], { cwd: opts.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => chunks.push(b.toString()));
    child.stderr.on('data', (b: Buffer) => chunks.push(b.toString()));
    child.on('error', rej);
    child.on('close', res);
  });
  const outputs = parseOutputs(readFileSync(outputPath, 'utf8'));
  const summary = readFileSync(summaryPath, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return { code, output: chunks.join(''), outputs, summary };
}

/** GITHUB_OUTPUT's `name<<delimiter` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!m?.[1] || !m[2]) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i] ?? '');
    out[m[1]] = value.join('\n');
  }
  return out;
}

/** A manifest a submitter might write (the README's example), owned by `github`. */
export function manifestYaml(id: string, github: string, runs = 1, extra = ''): string {
  return `id: ${id}
displayName: Test agent (${id})
description: Claude Code with a custom system prompt.
contact:
  name: Ada Lovelace
  github: ${github}
agent:
  scaffold: claude-code
  version: 2.1.3
  model: claude-opus-4-6
  reasoningEffort: high
runs: ${runs}
${extra}`;
}

type Example = Record<string, unknown>;
const examples = JSON.parse(
  readFileSync(join(REPO_ROOT, 'node_modules/@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'),
) as { name: string; examples: Example[] }[];

function example(event: string, action: string): Example {
  const hit = examples.find((e) => e.name === event)?.examples.find((e) => e.action === action);
  if (!hit) throw new Error(`no ${event}.${action} example in @octokit/webhooks-examples`);
  return structuredClone(hit);
}

const repository = (ex: Example) => ({
  ...(ex.repository as Example),
  name: 'leaderboard',
  full_name: 'ptb-org/leaderboard',
  default_branch: 'main',
});

/** pull_request / pull_request_target payload from the official example, for our PR. */
export function pullRequestEvent(
  action: 'opened' | 'synchronize' | 'labeled',
  pr: { number: number; headSha: string; author: string; sender?: string; label?: string; base?: string; fork?: boolean },
) {
  const ex = example('pull_request', action);
  const pull = ex.pull_request as Example;
  const head = pull.head as Example;
  return {
    ...ex,
    number: pr.number,
    repository: repository(ex),
    sender: { ...(ex.sender as Example), login: pr.sender ?? pr.author },
    pull_request: {
      ...pull,
      number: pr.number,
      user: { ...(pull.user as Example), login: pr.author },
      head: { ...head, sha: pr.headSha, repo: { ...(head.repo as Example), fork: pr.fork ?? false } },
      base: { ...(pull.base as Example), ref: pr.base ?? 'main' },
    },
    ...(action === 'labeled' ? { label: { ...(ex.label as Example), name: pr.label ?? 'run-approved' } } : {}),
  };
}

/** issue_comment.created payload; the official examples are on issues, so `issue.pull_request` is added as GitHub sends it for PRs. */
export function commentEvent(pr: number, login: string, body: string, association = 'NONE') {
  const ex = example('issue_comment', 'created');
  const issue = ex.issue as Example;
  return {
    ...ex,
    repository: repository(ex),
    sender: { ...(ex.sender as Example), login },
    comment: {
      ...(ex.comment as Example),
      body,
      author_association: association,
      user: { ...((ex.comment as Example).user as Example), login },
    },
    issue: {
      ...issue,
      number: pr,
      pull_request: {
        url: `https://api.github.com/repos/ptb-org/leaderboard/pulls/${pr}`,
        html_url: `https://github.com/ptb-org/leaderboard/pull/${pr}`,
        diff_url: `https://github.com/ptb-org/leaderboard/pull/${pr}.diff`,
        patch_url: `https://github.com/ptb-org/leaderboard/pull/${pr}.patch`,
        merged_at: null,
      },
    },
  };
}

/** workflow_dispatch payload (the dispatcher starting cell.yml, or a person by hand) from the official example. */
export function dispatchEvent(inputs: Record<string, string>, sender = 'github-actions[bot]') {
  const ex = examples.find((e) => e.name === 'workflow_dispatch')?.examples[0];
  if (!ex) throw new Error('no workflow_dispatch example in @octokit/webhooks-examples');
  return {
    ...structuredClone(ex),
    inputs,
    ref: 'refs/heads/main',
    repository: repository(ex),
    sender: { ...(ex.sender as Example), login: sender },
  };
}
