import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, describe, expect, it } from 'vitest';
import { LLM_PROVIDERS } from '../../engine/src/egress/llm-providers.ts';
import { parseBundleArgs } from '../src/bundle.ts';
import { CellRunError, CliCellRunner, cellEnvironment, INHERITED, PROVIDER_KEY_NAMES } from '../src/cell-runner.ts';
import { allCells, findCell } from '../src/cells.ts';
import { canApprove, parseCommand } from '../src/commands.ts';
import { parseConfig } from '../src/config.ts';
import { runPlan } from '../src/plan.ts';
import {
  type ApprovalRecord,
  cellRunTitle,
  HARNESS_ATTEMPTS,
  parseCellRunTitle,
  planDispatch,
  type QueueEntry,
} from '../src/queue.ts';
import { code, readValidated, renderDiagnostics, renderPlan, renderRefusal, text } from '../src/render.ts';
import { checkOwnership, checkScope } from '../src/scope.ts';
import { COMMENT_LIMIT, findSticky, fitComment, readSections, STICKY_MARKER, withSection } from '../src/sticky.ts';
import { FAKE_PTB, REPO_ROOT, removeTempDirs, tempDir } from './support/harness.ts';

afterAll(removeTempDirs);

const def = loadDefinition('v1');
const config = parseConfig(
  'runnerLabels: [gpu-h100]\nrunnerGroup: ptb-evaluate\nfleetSize: 8\noverheadHours: 1\nenvironment: gpu\ncellEnvironment: gpu-cells\nbotEnvironment: ptb-bot\napproveLabel: run-approved\nbotLogin: bot\nresultsBranch: ptb-results\n',
  'test.yaml',
);
const agent = (runs: number) => ({ id: 'x', runs }) as Parameters<typeof runPlan>[1];

describe('checkScope', () => {
  const f = (filename: string, status = 'added', previous_filename?: string) => ({ filename, status, previous_filename });
  it('accepts one folder with its manifest and README', () => {
    expect(checkScope([f('submissions/a/submission.yaml'), f('submissions/a/README.md')])).toEqual({
      ok: true,
      submissionId: 'a',
      manifestPath: 'submissions/a/submission.yaml',
      manifestChanged: true,
    });
  });
  it('refuses files outside submissions/, naming .github/ specially', () => {
    const v = checkScope([f('submissions/a/submission.yaml'), f('.github/workflows/x.yml'), f('package.json')]);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.problems[0]).toMatch(
      /`.github\/workflows\/x.yml`, `package.json`.*Changes to `.github\/` are never accepted/,
    );
  });
  it('refuses a rename out of another place', () => {
    const v = checkScope([f('submissions/a/submission.yaml', 'renamed', 'scripts/evil.ts')]);
    expect(!v.ok && v.problems.join()).toContain('scripts/evil.ts');
  });
  it('refuses two folders, results, stray files, and removing a manifest', () => {
    expect(!checkScope([f('submissions/a/submission.yaml'), f('submissions/b/submission.yaml')]).ok).toBe(true);
    const v = checkScope([
      f('submissions/a/results/run-1.json'),
      f('submissions/a/run.sh'),
      f('submissions/a/submission.yaml', 'removed'),
    ]);
    const text = !v.ok ? v.problems.join('\n') : '';
    expect(text).toContain('results are written by the evaluation bot');
    expect(text).toContain('`submissions/a/run.sh`: a submission folder holds only');
    expect(text).toContain('removing a submission is done by a maintainer');
    expect(checkScope([]).ok).toBe(false);
  });
  it('ownership: the owner may edit, others and imported folders not', () => {
    expect(checkOwnership({ submissionId: 'a', author: 'Ada', existingOwner: 'ada', exists: true })).toBeNull();
    expect(checkOwnership({ submissionId: 'a', author: 'eve', existingOwner: 'ada', exists: true })).toContain('belongs to @ada');
    expect(checkOwnership({ submissionId: 'a', author: 'eve', existingOwner: undefined, exists: true })).toContain(
      'only a maintainer',
    );
    expect(checkOwnership({ submissionId: 'a', author: 'eve', existingOwner: null, exists: false })).toBeNull();
  });
});

describe('parseCommand', () => {
  it.each([
    [`  /ptb run ${'a'.repeat(40)}\nthanks!`, { kind: 'run', sha: 'a'.repeat(40) }],
    ['/ptb cancel', { kind: 'cancel' }],
    [`/ptb retry Qwen3-4B-Base/gsm8k/1 ${'b'.repeat(40)}`, { kind: 'retry', cell: 'Qwen3-4B-Base/gsm8k/1', sha: 'b'.repeat(40) }],
    ['looks good /ptb run', { kind: 'none' }],
    ['/ptbrun', { kind: 'none' }],
    [null, { kind: 'none' }],
  ])('%j', (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });
  // An approval always names the full commit: a bare `/ptb run` or a short SHA (which a submitter
  // can grind a colliding commit for) approves nothing.
  it.each([
    '/ptb run',
    '/ptb run abc1234',
    `/ptb run ${'a'.repeat(12)}`,
    '/ptb run now please',
    '/ptb retry',
    '/ptb retry Qwen3-4B-Base/gsm8k/1',
    '/ptb cancel all',
    '/ptb deploy',
  ])('%j is invalid with a message', (body) => {
    const c = parseCommand(body);
    expect(c.kind).toBe('invalid');
  });
  it('write, maintain and admin approve; triage, read and none do not', () => {
    expect(['admin', 'maintain', 'write'].map(canApprove)).toEqual([true, true, true]);
    expect(['triage', 'read', 'none'].map(canApprove)).toEqual([false, false, false]);
  });
});

describe('run plan', () => {
  it('v1, 3 seeds, fleet of 8: 84 cells, 840 GPU-hours, 11 waves of 11 h', () => {
    expect(runPlan(def, agent(3), config)).toMatchObject({
      cells: 84,
      cellsPerRun: 28,
      gpuHours: 840,
      concurrent: 8,
      waves: 11,
      wallHours: 121,
    });
  });
  it('a fleet larger than the plan runs everything in one wave', () => {
    expect(runPlan(def, agent(1), { ...config, fleetSize: 100 })).toMatchObject({
      concurrent: 28,
      waves: 1,
      wallHours: 11,
    });
    expect(runPlan(def, agent(1), { ...config, fleetSize: 4 })).toMatchObject({ concurrent: 4, waves: 7 });
  });
  it('the plan section carries the validated head and manifest for the approval check', () => {
    const md = renderPlan(runPlan(def, agent(1), config), 'a'.repeat(40), 'b'.repeat(64), 'run-approved');
    expect(readValidated(md)).toEqual({ head: 'a'.repeat(40), manifest: 'b'.repeat(64) });
    expect(readValidated('nothing')).toBeNull();
  });
});

describe('cells', () => {
  it('28 cells per seed with unique ids and artifact names GitHub accepts', () => {
    const cells = allCells(def, 2);
    expect(cells).toHaveLength(56);
    expect(new Set(cells.map((c) => c.artifact)).size).toBe(56);
    for (const c of cells) expect(c.artifact).toMatch(/^[A-Za-z0-9._-]+$/);
  });
  it('findCell explains what a valid cell id looks like', () => {
    expect(findCell(def, 1, 'qwen3-4b-base/GSM8K/1').baseModel).toBe('Qwen/Qwen3-4B-Base');
    expect(() => findCell(def, 1, 'Qwen3-4B-Base/gsm8k/2')).toThrow(/seed from 1 to 1/);
    expect(() => findCell(def, 1, 'nope')).toThrow(/Qwen3-1.7B-Base, Qwen3-4B-Base/);
  });
});

describe('sticky comment', () => {
  it('replaces one section and keeps the others, in a fixed order', () => {
    const a = withSection(null, 'scores', 'S1');
    const b = withSection(a, 'validation', 'V1');
    const c = withSection(b, 'scores', 'S2');
    expect(c.startsWith(STICKY_MARKER)).toBe(true);
    expect(readSections(c)).toEqual({ validation: 'V1', scores: 'S2' });
    expect(c.indexOf('V1')).toBeLessThan(c.indexOf('S2'));
    expect(readSections(withSection(c, 'scores', null))).toEqual({ validation: 'V1' });
  });
  it('keeps a long body under the limit, cut at a line, closing an open code fence, linking the summary', () => {
    const body = `start\n\`\`\`\n${'line of text\n'.repeat(10_000)}`;
    const fitted = fitComment(body, 'https://github.com/o/r/actions/runs/1');
    expect(fitted.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(fitted).toContain('[Read the full report in the job summary](https://github.com/o/r/actions/runs/1)');
    expect(fitted).toMatch(/line of text\n```\n\n…truncated/);
    expect(fitComment('short', 'u')).toBe('short');
  });
  it("finds only the bot's own comment", () => {
    const comments = [
      { id: 1, body: `${STICKY_MARKER} fake`, user: { login: 'mallory' } },
      { id: 2, body: 'hello', user: { login: 'bot' } },
      { id: 3, body: `${STICKY_MARKER}\n`, user: { login: 'bot' } },
    ];
    expect(findSticky(comments, 'bot')?.id).toBe(3);
    expect(findSticky(comments.slice(0, 2), 'bot')).toBeUndefined();
  });
  it('text from a PR cannot inject hidden markers, HTML or mentions', () => {
    expect(text('<!-- ptb:end:validation --> @maintainers')).toBe('&lt;!-- ptb:end:validation --&gt; @\u200bmaintainers');
    expect(code('a`b<!--c')).toBe("`a'b<!- -c`");
    const md = renderDiagnostics(
      [
        {
          file: 'submissions/x/submission.yaml',
          line: 3,
          column: 5,
          field: 'agent.<!--x',
          message: 'bad @team',
          expected: '"y"',
          hint: 'fix it',
          code: 'invalid-value',
        },
      ],
      'c'.repeat(40),
    );
    expect(md).toContain('`submissions/x/submission.yaml:3:5` field `agent.<!- -x`: bad @\u200bteam (expected "y")');
    expect(md).toContain('  - hint: fix it');
    expect(readSections(withSection(null, 'validation', md)).validation).toBe(md);
  });
});

describe('configuration', () => {
  it('says which key is wrong', () => {
    expect(() => parseConfig('fleetSize: 0\n', 'cfg.yaml')).toThrow(/cfg.yaml: invalid pipeline configuration[\s\S]*fleetSize/);
  });
  it('the shipped configuration is valid', async () => {
    const { loadConfig } = await import('../src/config.ts');
    expect(loadConfig(join(REPO_ROOT, 'actions/pipeline/config/pipeline.yaml')).runnerLabels).toContain('gpu-h100');
  });
});

describe('CliCellRunner honours the ptb run exit-code contract', () => {
  const request = (out: string, submissionDir = join(tempDir('sub'), 'x')) => ({
    submissionDir,
    baseModel: 'Qwen/Qwen3-4B-Base',
    benchmark: 'gsm8k',
    seed: 1,
    definitionVersion: 'v1',
    outDir: out,
  });
  const node = (script: string) => new CliCellRunner({ command: [process.execPath, '-e', script], env: process.env });
  const kind = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (e) {
      return e instanceof CellRunError ? e.kind : String(e);
    }
  };
  it('1 is invalid input (missing manifest), 2 usage, 3 infrastructure', async () => {
    const fake = new CliCellRunner({ command: [process.execPath, FAKE_PTB], env: process.env });
    expect(await kind(fake.run(request(tempDir('o'))))).toBe('invalid-input');
    expect(await kind(node('process.exit(2)').run(request(tempDir('o'))))).toBe('usage');
    expect(await kind(node('process.exit(3)').run(request(tempDir('o'))))).toBe('infrastructure');
  });
  it('exit 0 without a result, or with an invalid one, is an infrastructure failure', async () => {
    expect(await kind(node('process.exit(0)').run(request(tempDir('o'))))).toBe('infrastructure');
    const out = tempDir('o');
    const writeBad = `require('fs').writeFileSync(${JSON.stringify(join(out, 'result.json'))}, '{"schemaVersion":1}')`;
    expect(await kind(node(writeBad).run(request(out)))).toBe('infrastructure');
  });
  it('passes every contract flag', async () => {
    const out = tempDir('o');
    const echo = `require('fs').writeFileSync(${JSON.stringify(join(out, 'args.json'))}, JSON.stringify(process.argv.slice(1))); process.exit(3)`;
    const runner = new CliCellRunner({ command: [process.execPath, '-e', echo], env: process.env });
    await kind(runner.run({ ...request(out, '/s/x'), runtime: 'bwrap', budgetSeconds: 60 }));
    const { readFileSync } = await import('node:fs');
    expect(JSON.parse(readFileSync(join(out, 'args.json'), 'utf8'))).toEqual([
      'run',
      '--submission',
      '/s/x',
      '--base-model',
      'Qwen/Qwen3-4B-Base',
      '--benchmark',
      'gsm8k',
      '--seed',
      '1',
      '--definition',
      'v1',
      '--out',
      out,
      '--json',
      '--runtime',
      'bwrap',
      '--budget-seconds',
      '60',
    ]);
  });
});

describe("ptb run's environment", () => {
  it('inherits only the basics and the engine settings; no token, no runner secret, no stray provider key', () => {
    const env = cellEnvironment(
      {
        PATH: '/usr/bin',
        HOME: '/home/runner',
        CUDA_VISIBLE_DEVICES: '3',
        PTB_MODEL_CACHE: '/models',
        INPUT_TOKEN: 'ghs_workflow',
        GITHUB_TOKEN: 'ghs_workflow',
        ACTIONS_RUNTIME_TOKEN: 'runtime',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
        OPENAI_API_KEY: 'sk-host-key',
        PTB_PROVIDER_KEYS: 'ANTHROPIC_API_KEY=sk-ant',
      },
      'ANTHROPIC_API_KEY=sk-ant\n# a comment\n\nOPENAI_API_KEY = sk-oai\n',
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      CUDA_VISIBLE_DEVICES: '3',
      PTB_MODEL_CACHE: '/models',
      ANTHROPIC_API_KEY: 'sk-ant',
      OPENAI_API_KEY: 'sk-oai',
    });
  });
  it("passes the runner operator's engine settings and names the repository to the egress rules", () => {
    const operator = {
      PTB_SANDBOX_UID: '64003',
      PTB_CGROUP_PARENT: '/sys/fs/cgroup/system.slice/ptb-runner@3.service',
      PTB_SCRATCH_DIR: '/var/lib/ptb-scratch/3',
      PTB_AGENT_CLIS: '/opt/ptb/agent-clis',
      PTB_EVAL_ENV: '/opt/ptb/eval-env',
      PTB_EVAL_DATA: '/opt/ptb/eval-data',
    };
    expect(cellEnvironment({ ...operator, GITHUB_REPOSITORY: 'posttrainbench/leaderboard' }, '')).toEqual({
      ...operator,
      PTB_LEADERBOARD_REPOSITORIES: 'posttrainbench/leaderboard',
    });
    expect(cellEnvironment({ GITHUB_REPOSITORY: 'a/b', PTB_LEADERBOARD_REPOSITORIES: 'a/b,a/mirror' }, '')).toEqual({
      PTB_LEADERBOARD_REPOSITORIES: 'a/b,a/mirror',
    });
  });
  it('every PTB_ variable the engine reads from the host is passed on, or withheld for a stated reason', () => {
    // Set by the engine itself for the agent or the evaluator, or only for tests: never the runner's to choose.
    const withheld: Record<string, string> = {
      PTB_DEADLINE: 'set inside the sandbox for the agent',
      PTB_BASE_MODEL: 'set inside the sandbox for the agent',
      PTB_LLM_BASE_URL: 'set inside the sandbox for the agent',
      PTB_JUDGE_MODEL: "set for the evaluator from the benchmark's judge",
      PTB_HARNESS_COMMIT: 'ptb run reads the commit of its own checkout',
      PTB_PROVIDER_KEYS: 'turned into the individual key variables above',
      PTB_LEADERBOARD_REPOSITORIES: 'set from GITHUB_REPOSITORY unless given',
      PTB_EVAL_SOURCES: "test fixtures' data sources; a runner uses the pinned sources.json",
      PTB_VERIFY_ENV_: 'test and tuning variables for the verification sandbox',
    };
    const src = fileURLToPath(new URL('../../engine/src/', import.meta.url));
    const read = new Set<string>();
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')))
      for (const m of readFileSync(join(src, file), 'utf8').matchAll(/\b(?:env|process\.env)(?:\.|\[')(PTB_[A-Z0-9_]+)/g))
        read.add(m[1] as string);
    expect(read.size).toBeGreaterThan(10);
    const unaccounted = [...read].filter((n) => !(INHERITED as readonly string[]).includes(n) && !(n in withheld));
    expect(unaccounted).toEqual([]);
  });
  it("accepts exactly the engine's provider key names", () => {
    const engineNames = Object.values(LLM_PROVIDERS).flatMap((p) => [...p.keyEnv]);
    expect([...PROVIDER_KEY_NAMES].sort()).toEqual([...new Set(engineNames)].sort());
    expect(cellEnvironment({}, 'DASHSCOPE_API_KEY=sk-q\nZAI_API_KEY=z')).toEqual({ DASHSCOPE_API_KEY: 'sk-q', ZAI_API_KEY: 'z' });
    expect(() => cellEnvironment({}, '{"anthropic": "sk-secret"}')).toThrow(/NAME=value lines/);
    expect(() => cellEnvironment({}, '{"anthropic": "sk-secret"}')).not.toThrow(/sk-secret/);
  });
  it('a provider-keys line the engine does not read names the line, never the value', () => {
    expect(() => cellEnvironment({}, 'ANTHROPIC_API_KEY=a\nGITHUB_TOKEN=secret-value')).toThrow(/line 2: .* got GITHUB_TOKEN$/);
    expect(() => cellEnvironment({}, 'just-a-key')).not.toThrow(/just-a-key/);
  });
});

describe('the dispatcher', () => {
  const approval = (id: string, pr: number, at: string, n: number): ApprovalRecord => ({
    id,
    prNumber: pr,
    submissionId: `s${pr}`,
    headSha: 'a'.repeat(40),
    manifestSha256: 'b'.repeat(64),
    definitionVersion: 'v1',
    cells: allCells(def, 3).slice(0, n),
    approvedBy: 'maintainer',
    approvedAt: at,
    reviewedInRun: 1,
  });
  const entry = (a: ApprovalRecord, done = 0, cancelled = false): QueueEntry => ({
    approval: a,
    cancelled,
    outcomes: a.cells.slice(0, done).map((c) => ({ cell: c.id, status: 'stored', runId: 1, runAttempt: 1, at: a.approvedAt })),
  });
  const first = approval('pr1-run1', 1, '2026-12-01T00:00:00Z', 84);
  const second = approval('pr2-run2', 2, '2026-12-01T01:00:00Z', 28);

  it('84 cells on a fleet of 8: waves of 8, the oldest approval first, a later PR waits', () => {
    const wave1 = planDispatch([entry(first), entry(second)], [], 8);
    expect(wave1).toHaveLength(8);
    expect(new Set(wave1.map((d) => d.approval.id))).toEqual(new Set(['pr1-run1']));
    // 8 in flight: nothing more starts, whoever asks.
    const running = wave1.map((d, i) => ({ id: i, title: cellRunTitle(1, d.cell.id, 'pr1-run1') }));
    expect(planDispatch([entry(first), entry(second)], running, 8)).toEqual([]);
    // Three finished (stored), five still running: three more of the first PR, none started twice.
    const next = planDispatch([entry(first, 3), entry(second)], running.slice(3), 8);
    expect(next.map((d) => d.cell.id)).toEqual(first.cells.slice(8, 11).map((c) => c.id));
    // The first PR nearly done: its last cells and then the second's fill the fleet.
    const tail = planDispatch([entry(first, 80), entry(second)], [], 8);
    expect(tail.map((d) => d.approval.id)).toEqual([...Array(4).fill('pr1-run1'), ...Array(4).fill('pr2-run2')]);
  });
  it('in flight counts over all PRs (the global cap), and a cancelled approval starts nothing', () => {
    const other = Array.from({ length: 6 }, (_, i) => ({ id: i, title: cellRunTitle(9, `m/b/${i}`, 'pr9-run9') }));
    expect(planDispatch([entry(first)], other, 8)).toHaveLength(2);
    expect(planDispatch([entry(first, 0, true), entry(second)], [], 8).every((d) => d.approval.id === 'pr2-run2')).toBe(true);
  });
  it('a cell that ended in a harness error is run again, up to HARNESS_ATTEMPTS runs, then given up (a maintainer retries it)', () => {
    const small = approval('pr3-run3', 3, '2026-12-01T02:00:00Z', 2);
    const [a, b] = small.cells as [(typeof small.cells)[0], (typeof small.cells)[0]];
    const error = (cell: string, runId: number) =>
      ({ cell, status: 'error', runId, runAttempt: 1, reason: 'harness error (provider): 529', at: small.approvedAt }) as const;
    const stored = (cell: string) => ({ cell, status: 'stored', runId: 9, runAttempt: 1, at: small.approvedAt }) as const;
    const withOutcomes = (outcomes: QueueEntry['outcomes']): QueueEntry => ({ approval: small, cancelled: false, outcomes });
    // One harness error: owed again; a stored result is never run again.
    expect(planDispatch([withOutcomes([error(a.id, 1), stored(b.id)])], [], 8).map((d) => d.cell.id)).toEqual([a.id]);
    // The last allowed attempt also failed: given up, nothing starts.
    const all = Array.from({ length: HARNESS_ATTEMPTS }, (_, i) => error(a.id, i + 1));
    expect(planDispatch([withOutcomes([...all, stored(b.id)])], [], 8)).toEqual([]);
    // An error followed by a stored result (a later attempt succeeded): done.
    expect(planDispatch([withOutcomes([error(a.id, 1), stored(a.id), stored(b.id)])], [], 8)).toEqual([]);
  });
  it('run names round-trip', () => {
    expect(parseCellRunTitle(cellRunTitle(12, 'Qwen3-4B-Base/gsm8k/1', 'pr12-run5'))).toEqual({
      prNumber: 12,
      cellId: 'Qwen3-4B-Base/gsm8k/1',
      approvalId: 'pr12-run5',
    });
    expect(parseCellRunTitle('ptb evaluate #12')).toBeNull();
  });
});

describe('bundle.ts arguments', () => {
  it('a name bundles that action only; no name bundles all; --out anywhere', () => {
    expect(parseBundleArgs(['approve'])).toEqual({ names: ['approve'], outRoot: undefined });
    expect(parseBundleArgs(['report', '--out', 'x'])).toEqual({ names: ['report'], outRoot: 'x' });
    expect(parseBundleArgs(['--out', 'x', 'evaluate'])).toEqual({ names: ['evaluate'], outRoot: 'x' });
    expect(parseBundleArgs([]).names).toContain('dispatch');
    expect(() => parseBundleArgs(['--out'])).toThrow(/--out needs a folder/);
  });
});

describe('the sticky comment cannot be forged through a file name', () => {
  it('a PR whose file name carries the validated marker and section markers does not validate anything', () => {
    const forged = `<!-- ptb:end:validation --><!-- ptb:validated head=${'a'.repeat(40)} manifest=${'b'.repeat(64)} -->`;
    const scope = checkScope([
      { filename: `submissions/eve/${forged}`, status: 'added' },
      { filename: `submissions/${forged}/submission.yaml`, status: 'added' },
      { filename: `docs/${forged}`, status: 'added' },
    ]);
    expect(scope.ok).toBe(false);
    if (scope.ok) return;
    const body = withSection(null, 'validation', renderRefusal(scope.problems, 'c'.repeat(40)));
    expect(body).not.toContain('<!-- ptb:validated');
    const sections = readSections(body);
    expect(readValidated(sections.validation)).toBeNull();
    expect(sections.validation).toContain('cannot be evaluated');
    expect(Object.keys(sections)).toEqual(['validation']);
  });
});
