import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Leaderboard } from '@ptb/core';
import { afterAll, describe, expect, test } from 'vitest';
import { COMMANDS, main } from '../src/main.ts';
import { REPO_ROOT, runPtb } from './helpers.ts';
import { inTerminal } from './terminal.ts';

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** A throwaway repository: package.json and an empty submissions/ folder, removed after the tests. */
function scratchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-repo-'));
  scratchDirs.push(dir);
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  mkdirSync(join(dir, 'submissions'));
  return dir;
}

const NEW_FLAGS = [
  '--id',
  'my-agent',
  '--name',
  'My agent',
  '--scaffold',
  'claude-code',
  '--scaffold-version',
  '2.1.3',
  '--model',
  'claude-opus-4-6',
  '--contact-name',
  'Ada',
  '--github',
  'ada',
  '--description',
  'A test agent.',
];

describe('ptb (the real executable)', () => {
  // The installed bin, found the way a shell finds it: node_modules/.bin first on PATH (Node 24 too).
  const bin = join(REPO_ROOT, 'node_modules', '.bin');
  const ptb = (args: string[], cwd = REPO_ROOT) =>
    spawnSync(join(bin, 'ptb'), args, { cwd, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

  test('validate exits 0 on the repository', () => {
    const r = ptb(['validate']);
    expect(r.stderr).toMatch(/^ok: \d+ file\(s\) in \d+ submission\(s\) valid/m);
    expect(r.status).toBe(0);
  });

  test('leaderboard prints the published ranking', () => {
    const r = ptb(['leaderboard']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+2\s+Opus 4\.6\s+claude-code\s+23\.2 ± 1\.8\s+3\s/m);
    expect(r.stdout).toMatch(/^\s+Official instruct models\s+reference\s+51\.1\s/m);
    expect(r.stdout).toMatch(/^\s+Base models \(zero-shot\)\s+reference\s+7\.5\s/m);
    expect(r.stdout).not.toMatch(/GPT-5\.3 Codex\s+codex/); // hidden, superseded
  });

  test('a broken manifest exits 1 with file:line, no stack trace', () => {
    const dir = scratchRepo();
    mkdirSync(join(dir, 'submissions', 'bad'));
    writeFileSync(join(dir, 'submissions', 'bad', 'submission.yaml'), 'id: bad\nagent: [unclosed\n');
    const r = ptb(['validate'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/submissions\/bad\/submission\.yaml:\d+:\d+: YAML syntax error/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('unknown command exits 2', () => {
    expect(ptb(['frobnicate']).status).toBe(2);
  });

  test("starts under the Node that ran npm, handing over to the project's Node 24 when that one is older", () => {
    // The first node on PATH outside node_modules: the one a person has before `npm ci`.
    const outside = (process.env.PATH ?? '').split(':').filter((d) => d && !d.includes('node_modules'));
    const systemNode = outside.map((d) => join(d, 'node')).find((p) => spawnSync(p, ['--version']).status === 0);
    expect(systemNode, 'no node outside node_modules on PATH').toBeDefined();
    const env = { ...process.env, PATH: outside.join(':') };
    // The executable npm linked (a shell script that picks the project's Node), and the
    // JavaScript launcher started by the older Node itself.
    const runs = [
      (args: string[]) => spawnSync(join(bin, 'ptb'), args, { cwd: REPO_ROOT, encoding: 'utf8', env }),
      (args: string[]) =>
        spawnSync(systemNode as string, [join(REPO_ROOT, 'scripts', 'bin', 'ptb.mjs'), ...args], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          env,
        }),
    ];
    for (const run of runs) {
      const help = run(['--help']);
      expect(help.stderr).toBe('');
      expect(help.stdout).toMatch(/^Usage: ptb <command>/m);
      expect(help.status).toBe(0);
      expect(run(['validate']).stderr).toMatch(/^ok: \d+ file\(s\)/m);
      expect(run(['frobnicate']).status).toBe(2);
    }
  });

  test('the single-file bundle without PTB_DEFINITIONS_DIR says which variable to set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptb-bundle-'));
    try {
      const bundle = join(dir, 'ptb.mjs');
      const built = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/bundle-ptb.ts'), bundle], { encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
      const { PTB_DEFINITIONS_DIR: _, ...env } = process.env;
      const bare = spawnSync(process.execPath, [bundle, 'validate'], { cwd: REPO_ROOT, encoding: 'utf8', env });
      expect(bare.stderr).toMatch(
        /^no benchmark definitions folder at .*: set PTB_DEFINITIONS_DIR to the repository's actions\/core\/definitions folder$/m,
      );
      expect(bare.stderr).not.toMatch(/ENOENT|\n\s+at /);
      expect(bare.status).toBe(2);
      const definitions = join(REPO_ROOT, 'actions/core/definitions');
      const set = spawnSync(process.execPath, [bundle, 'validate'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...env, PTB_DEFINITIONS_DIR: definitions },
      });
      expect(set.stderr).toMatch(/^ok: /m);
      expect(set.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a command loads only its own module: --help loads none, validate neither zod-heavy core parts nor the engine', () => {
    // Records every module file the process loads, through Node's own module hooks.
    const hook = `data:text/javascript,${encodeURIComponent(
      "import{registerHooks}from'node:module';const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});process.on('exit',()=>process.stderr.write('\\nLOADED '+JSON.stringify(seen)))",
    )}`;
    const loaded = (args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', hook, join(REPO_ROOT, 'scripts/bin/ptb.mjs'), ...args], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stderr.split('\nLOADED ').at(-1) ?? '[]') as string[]).map((u) =>
        u.replace(/^file:\/\/.*?\/(actions|scripts|node_modules)\//, '$1/'),
      );
    };
    const help = loaded(['--help']);
    expect(help.filter((u) => u.includes('/commands/'))).toEqual([]);
    expect(help.filter((u) => /zod|yaml|actions\//.test(u))).toEqual([]);
    const validate = loaded(['validate']);
    expect(validate.filter((u) => u.includes('/commands/'))).toEqual(['scripts/src/commands/validate.ts']);
    expect(validate.filter((u) => /actions\/(engine|fleet)\/|core\/src\/(scoring|planning|json-schema)/.test(u))).toEqual([]);
    // Checking everything again: the parsers and the manifest and result schemas, but no benchmark
    // definition where no submission has a trace to check against one.
    const cold = loaded(['validate', '--no-cache']);
    expect(cold.some((u) => u.includes('core/src/validation/manifest.ts'))).toBe(true);
    expect(cold.filter((u) => /core\/src\/(definition|definition-source|schemas\/definition)\.ts/.test(u))).toEqual([]);
  });
});

describe('ptb validate remembers its last answer for an unchanged repository', () => {
  // The real executable, with Node's module hooks recording which files it loads: an answer
  // replayed from the cache loads no parser; any change to what validate reads loads them again.
  const hook = `data:text/javascript,${encodeURIComponent(
    "import{registerHooks}from'node:module';const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});process.on('exit',()=>process.stderr.write('\\nLOADED '+JSON.stringify(seen)))",
  )}`;
  const cache = mkdtempSync(join(tmpdir(), 'ptb-validate-cache-'));
  scratchDirs.push(cache);
  const validate = (cwd: string, args: string[] = [], env: Record<string, string> = {}) => {
    const { CI: _ci, ...inherited } = process.env;
    const r = spawnSync(process.execPath, ['--import', hook, join(REPO_ROOT, 'scripts/bin/ptb.mjs'), 'validate', ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...inherited, PTB_VALIDATE_CACHE_DIR: cache, ...env },
    });
    const [stderr, loaded = '[]'] = r.stderr.split('\nLOADED ');
    const parsers = (JSON.parse(loaded) as string[]).filter((u) => /\/(zod|yaml|js-yaml)[-/@]/.test(u));
    return { status: r.status, stdout: r.stdout, stderr, parsed: parsers.length > 0 };
  };
  const manifestOf = async (dir: string) => {
    expect((await runPtb(['new', ...NEW_FLAGS], dir)).code).toBe(0);
    return join(dir, 'submissions', 'my-agent', 'submission.yaml');
  };

  test('unchanged: the same output and exit code, without loading a parser', async () => {
    const dir = scratchRepo();
    await manifestOf(dir);
    const first = validate(dir);
    expect(first.status).toBe(0);
    expect(first.parsed).toBe(true);
    const second = validate(dir);
    expect(second).toEqual({ ...first, parsed: false });
    // A failing answer is replayed as faithfully, in every format.
    writeFileSync(join(dir, 'submissions', 'my-agent', 'notes.txt'), 'x');
    for (const format of ['text', 'json', 'github']) {
      const a = validate(dir, ['--format', format]);
      const b = validate(dir, ['--format', format]);
      expect(a.status).toBe(1);
      expect([a.parsed, b.parsed]).toEqual([true, false]);
      expect({ ...b, parsed: true }).toEqual(a);
    }
  });

  test('a changed byte, a new file, a changed definition, --no-cache or CI: checked again', async () => {
    const dir = scratchRepo();
    const manifest = await manifestOf(dir);
    expect(validate(dir).status).toBe(0);
    expect(validate(dir).parsed).toBe(false);
    // One byte of the manifest: the id no longer matches its folder.
    const original = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, original.replace('id: my-agent', 'id: my-agenT'));
    const changed = validate(dir);
    expect([changed.status, changed.parsed]).toEqual([1, true]);
    writeFileSync(manifest, original);
    expect(validate(dir)).toMatchObject({ status: 0, parsed: true });
    // A results file the submission did not have.
    mkdirSync(join(dir, 'submissions', 'my-agent', 'results'));
    writeFileSync(join(dir, 'submissions', 'my-agent', 'results', 'run-1.json'), '{');
    expect(validate(dir)).toMatchObject({ status: 1, parsed: true });
    rmSync(join(dir, 'submissions', 'my-agent', 'results'), { recursive: true });
    expect(validate(dir)).toMatchObject({ status: 0, parsed: true });
    // The definitions it checks against.
    const definitions = join(dir, 'definitions');
    mkdirSync(definitions);
    for (const f of ['v1.yaml'])
      writeFileSync(join(definitions, f), readFileSync(join(REPO_ROOT, 'actions/core/definitions', f)));
    expect(validate(dir, [], { PTB_DEFINITIONS_DIR: definitions })).toMatchObject({ status: 0, parsed: true });
    expect(validate(dir, [], { PTB_DEFINITIONS_DIR: definitions })).toMatchObject({ status: 0, parsed: false });
    writeFileSync(join(definitions, 'v1.yaml'), `${readFileSync(join(definitions, 'v1.yaml'), 'utf8')}\n# changed\n`);
    expect(validate(dir, [], { PTB_DEFINITIONS_DIR: definitions })).toMatchObject({ status: 0, parsed: true });
    // Asked not to, or under CI: never replayed, and CI leaves nothing behind.
    expect(validate(dir, ['--no-cache'])).toMatchObject({ status: 0, parsed: true });
    const ciCache = mkdtempSync(join(tmpdir(), 'ptb-validate-ci-'));
    scratchDirs.push(ciCache);
    expect(validate(dir, [], { CI: 'true', PTB_VALIDATE_CACHE_DIR: ciCache })).toMatchObject({ status: 0, parsed: true });
    expect(validate(dir, [], { CI: 'true', PTB_VALIDATE_CACHE_DIR: ciCache })).toMatchObject({ status: 0, parsed: true });
    expect(readdirSync(ciCache)).toEqual([]);
  });

  test('named paths are always checked', async () => {
    const dir = scratchRepo();
    await manifestOf(dir);
    validate(dir, ['submissions/my-agent']);
    expect(validate(dir, ['submissions/my-agent'])).toMatchObject({ status: 0, parsed: true });
  });
});

describe('help everywhere', () => {
  test('top-level --help lists every command', async () => {
    const r = await runPtb(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(c.name);
  });

  for (const c of COMMANDS) {
    test(`ptb ${c.name} --help`, async () => {
      const r = await runPtb([c.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: ptb ${c.name}`));
      expect(r.out).toMatch(/Exit codes|--check/);
    });
  }

  test('an unknown option is a usage error that shows the usage', async () => {
    const r = await runPtb(['validate', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown option '--frobnicate'[\s\S]*Usage: ptb validate/);
  });
});

describe('ptb validate paths', () => {
  test('paths are relative to the working folder; a missing path is named', async () => {
    const r = await runPtb(['validate', 'opus-4.6', 'no-such-agent'], join(REPO_ROOT, 'submissions'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^no-such-agent: no such file or folder/m);
    expect(r.err).not.toMatch(/opus-4\.6.*:/);
  });

  test('--format json and github', async () => {
    const dir = scratchRepo();
    mkdirSync(join(dir, 'submissions', 'x-agent'));
    writeFileSync(join(dir, 'submissions', 'x-agent', 'submission.yaml'), 'id: x-agent\nrunz: 3\n');
    const json = await runPtb(['validate', '--format', 'json'], dir);
    const report = JSON.parse(json.out);
    expect(report.ok).toBe(false);
    expect(report.diagnostics.some((d: { field: string; line: number }) => d.field === 'runz' && d.line === 2)).toBe(true);
    const gh = await runPtb(['validate', '--format', 'github'], dir);
    expect(gh.out).toMatch(/^::error file=submissions\/x-agent\/submission\.yaml,line=2,col=1::runz: unknown key "runz"/m);
  });
});

describe('ptb leaderboard', () => {
  test('--json is a valid Leaderboard with every cell', async () => {
    const r = await runPtb(['leaderboard', '--json']);
    const board = Leaderboard.parse(JSON.parse(r.out));
    const opus = board.rows.find((x) => x.submissionId === 'opus-4.6');
    expect(opus?.cells).toHaveLength(28);
    expect(opus?.rank).toBe(2);
  });

  test('--csv has a header and one line per visible row', async () => {
    const r = await runPtb(['leaderboard', '--csv']);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^rank,id,display_name,kind,scaffold,model,reasoning_effort,score,std,runs,aime2025,/);
    expect(lines.some((l) => l.startsWith('2,opus-4.6,Opus 4.6,agent,claude-code,claude-opus-4-6,'))).toBe(true);
    expect(r.out).not.toMatch(/^,gpt-5\.3-codex,/m);
    expect((await runPtb(['leaderboard', '--csv', '--all'])).out).toMatch(/^,gpt-5\.3-codex,GPT-5\.3 Codex,agent,/m);
  });

  test('--model ranks one base model; Opus 4.6 BFCL on Qwen3-4B-Base', async () => {
    const r = await runPtb(['leaderboard', '--json', '--model', 'Qwen3-4B-Base']);
    const board = Leaderboard.parse(JSON.parse(r.out));
    expect(board.view).toBe('Qwen/Qwen3-4B-Base');
    const opus = board.rows.find((x) => x.submissionId === 'opus-4.6');
    expect(opus?.benchmarks.bfcl).toBeCloseTo(0.9666666666666667, 12);
    // rows without a per-cell grid cannot be ranked per base model
    expect(board.rows.find((x) => x.submissionId === 'gpt-5.1-codex-max-high')?.rank).toBeNull();
    const ranks = board.rows.filter((x) => x.rank !== null).map((x) => x.score?.mean ?? 0);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  test('an unknown base model is a usage error naming the known ones', async () => {
    const r = await runPtb(['leaderboard', '--model', 'llama']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Qwen3-4B-Base');
  });
});

describe('ptb new', () => {
  test('writes a manifest that validates', async () => {
    const dir = scratchRepo();
    const r = await runPtb(['new', ...NEW_FLAGS], dir);
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'submissions', 'my-agent', 'submission.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=/);
    expect(text).toContain('scaffold: claude-code');
    expect((await runPtb(['validate'], dir)).code).toBe(0);
    expect((await runPtb(['new', ...NEW_FLAGS], dir)).code).toBe(2); // exists
  });

  test('missing flags without a terminal are named', async () => {
    const r = await runPtb(['new', '--id', 'x-agent'], scratchRepo());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing: --name, --scaffold, --scaffold-version, --model, --contact-name, --description/);
  });

  /** Runs `ptb new` in-process with a terminal whose person gives `answers` in order. */
  async function answering(answers: string[], args: string[] = ['--dry-run'], cwd = scratchRepo()) {
    const asked: string[] = [];
    const out: string[] = [];
    const err: string[] = [];
    const queue = [...answers];
    const code = await main(['new', ...args], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      cwd,
      isTTY: true,
      ask: async (q) => {
        asked.push(q);
        return queue.shift();
      },
    });
    return { code, asked, out: out.join('\n'), err: err.join('\n'), left: queue };
  }

  test('answers from prompts', async () => {
    const r = await answering(['prompted-agent', 'Prompted', 'codex-cli', '0.80.0', 'gpt-5.4', 'high', '1', 'Bo', '', 'Asked.']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/scaffold: codex-cli[\s\S]*reasoningEffort: high[\s\S]*runs: 1/);
  });

  test('an answer that does not fit is asked again with the reason; the other answers are kept', async () => {
    const r = await answering([
      ...['kept-agent', 'Kept', 'cursor', 'codex-cli', '^2.1', '2.1', '0.80.0', 'gpt-5.4', 'turbo', 'high', '9', ''],
      ...['Bo', '@bo', 'bo', 'Asked twice.'],
    ]);
    expect(r.code).toBe(0);
    expect(r.left).toEqual([]);
    const times = (q: RegExp) => r.asked.filter((a) => q.test(a)).length;
    expect(times(/^Scaffold/)).toBe(2);
    expect(times(/^Exact scaffold version/)).toBe(3);
    expect(times(/^Reasoning effort/)).toBe(2);
    expect(times(/^Runs/)).toBe(2);
    expect(times(/^Your GitHub/)).toBe(2);
    expect(times(/^Submission id|^Display name|^Model id|^Your name|^One-paragraph/)).toBe(5);
    expect(r.err).toContain('not accepted: the text "cursor" is not allowed (expected one of "claude-code"');
    expect(r.err).toContain('not accepted: the text "^2.1" is a version range, not one version');
    expect(r.err).toContain('not accepted: the text "2.1" is not valid (expected an exact version such as "2.1.3"');
    expect(r.err).toContain('not accepted: the text "turbo" is not allowed');
    expect(r.err).toContain('not accepted: number 9 is too large (expected at most 5)');
    expect(r.err).not.toMatch(/submission\.yaml|nothing written/);
    for (const kept of ['id: kept-agent', 'displayName: Kept', 'scaffold: codex-cli', 'version: 0.80.0', 'model: gpt-5.4'])
      expect(r.out).toContain(kept);
    expect(r.out).toMatch(/reasoningEffort: high[\s\S]*runs: 3/);
    expect(r.out).toMatch(/github: bo\n/);
  });

  test('an empty answer to a required question is asked again; an empty optional one is left out', async () => {
    const r = await answering(['', 'empty-agent', '', '', 'Named', 'claude-code', '2.1.3', 'm', '', '', 'Ada', '', 'Said.']);
    expect(r.code).toBe(0);
    expect(r.err.match(/not accepted: an answer is required here/g)).toHaveLength(3);
    expect(r.out).toMatch(/displayName: Named/);
    expect(r.out).not.toMatch(/github:/);
  });

  test('a flag that does not fit is asked for again in a terminal', async () => {
    const flags = NEW_FLAGS.map((f) => (f === '2.1.3' ? '^2' : f));
    const r = await answering(['2.1.4', '', ''], [...flags, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([
      'Exact scaffold version (e.g. 2.1.3): ',
      'Reasoning effort (default, minimal, low, medium, high, xhigh, max) [default]: ',
      'Runs (seeds), 1 to 5 [3]: ',
    ]);
    expect(r.out).toContain('version: 2.1.4');
  });

  test('an id that is already taken is asked again', async () => {
    const dir = scratchRepo();
    expect((await runPtb(['new', ...NEW_FLAGS], dir)).code).toBe(0);
    const r = await answering(['other-agent', '', ''], NEW_FLAGS, dir);
    expect(r.err).toContain('not accepted: submissions/my-agent/submission.yaml already exists; choose another id');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'submissions', 'other-agent', 'submission.yaml'))).toBe(true);
  });

  test('input that ends before every answer is given writes nothing', async () => {
    const dir = scratchRepo();
    const r = await answering(['ended-agent', 'Ended'], [], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/input ended before every answer was given: nothing written/);
    expect(existsSync(join(dir, 'submissions', 'ended-agent'))).toBe(false);
  });

  test('without a terminal, values that do not fit are named by their flag: nothing was written', async () => {
    const dir = scratchRepo();
    const flags = NEW_FLAGS.map((f) => (f === 'claude-code' ? 'cursor' : f === '2.1.3' ? '^2' : f));
    const r = await runPtb(['new', ...flags], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^--scaffold "cursor": the text "cursor" is not allowed/m);
    expect(r.err).toMatch(/^--scaffold-version "\^2": the text "\^2" is a version range, not one version/m);
    expect(r.err).toMatch(/^nothing written/m);
    expect(r.err).not.toMatch(/submission\.yaml/);
    expect(existsSync(join(dir, 'submissions', 'my-agent'))).toBe(false);
  });
});

describe('ptb new in a real terminal', () => {
  const bin = join(REPO_ROOT, 'node_modules', '.bin');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const enter = (text: string) => `${text}\r`;

  test('asks again after an empty or refused answer, keeps the rest, and prints the manifest', async () => {
    const session = await inTerminal(['ptb', 'new', '--dry-run'], {
      cwd: scratchRepo(),
      env,
      steps: [
        { when: /Submission id[^:]*: $/, type: enter('pty-agent') },
        { when: /Display name: $/, type: enter('') },
        { when: /an answer is required here\nDisplay name: $/, type: enter('Typed in') },
        { when: /Scaffold[^:]*: $/, type: enter('claude-code') },
        { when: /version \(e\.g\. 2\.1\.3\): $/, type: enter('2.1') },
        {
          when: /not accepted: the text "2\.1" is not valid[^\n]*\nExact scaffold version \(e\.g\. 2\.1\.3\): $/,
          type: enter('2.1.3'),
        },
        { when: /Model id[^:]*: $/, type: enter('claude-opus-4-6') },
        { when: /Reasoning effort[^:]*: $/, type: enter('turbo') },
        { when: /"turbo" is not allowed[^\n]*\nReasoning effort[^:]*: $/, type: enter('high') },
        { when: /Runs[^:]*: $/, type: enter('') },
        { when: /Your name: $/, type: enter('Ada') },
        { when: /GitHub[^:]*: $/, type: enter('') },
        { when: /description: $/, type: enter('Typed in a terminal.') },
      ],
    });
    expect(session.code, session.screen).toBe(0);
    expect(session.screen).toMatch(
      /id: pty-agent[\s\S]*displayName: Typed in[\s\S]*version: 2\.1\.3[\s\S]*reasoningEffort: high[\s\S]*runs: 3/,
    );
  });

  test('Ctrl-C at a question stops with nothing written', async () => {
    const dir = scratchRepo();
    const session = await inTerminal(['ptb', 'new'], {
      cwd: dir,
      env,
      steps: [
        { when: /Submission id[^:]*: $/, type: enter('stopped-agent') },
        { when: /Display name: $/, type: '\x03' },
      ],
    });
    expect(session.code, session.screen).toBe(130);
    expect(session.screen).toMatch(/cancelled: nothing written/);
    expect(existsSync(join(dir, 'submissions', 'stopped-agent'))).toBe(false);
  });

  test('Ctrl-D at a question ends the input: nothing written, exit 2', async () => {
    const session = await inTerminal(['ptb', 'new'], {
      cwd: scratchRepo(),
      env,
      steps: [{ when: /Submission id[^:]*: $/, type: '\x04' }],
    });
    expect(session.code, session.screen).toBe(2);
    expect(session.screen).toMatch(/input ended before every answer was given: nothing written/);
  });
});

describe('JSON Schema export', () => {
  test('committed schema files are current', async () => {
    const r = await runPtb(['schemas', '--check']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('ptb plan', () => {
  test('one v1 submission on 8, 64 and 256 GPUs', async () => {
    const r = await runPtb(['plan', '--overhead-minutes', '0', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(
      plan.plans.map((p: { gpus: number; makespanHours: number; gpuHours: number }) => [p.gpus, p.gpuHours, p.makespanHours]),
    ).toEqual([
      [8, 840, 110],
      [64, 840, 20],
      [256, 840, 10],
    ]);
  });

  test('a submission folder is planned from its manifest', async () => {
    const r = await runPtb(['plan', 'submissions/sonnet-4.6', '--gpus', '28', '--price', '3', '--overhead-minutes', '0']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s+28\s+28\s+280\s+840\s+1\s+10\.0 h$/m);
  });

  test('--simulate reports wait, turnaround and utilisation', async () => {
    const r = await runPtb(['plan', '--simulate', '--count', '10', '--gpus', '64']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mean wait.*utilisation/);
  });

  test('bad numbers are usage errors', async () => {
    expect((await runPtb(['plan', '--gpus', 'many'])).code).toBe(2);
  });
});

describe('ptb validate starts from a snapshot of the loaded command', () => {
  // The real `ptb` (the shell launcher) of a copy of scripts/ that shares the repository's
  // node_modules, so that its code can change here without touching the repository's. PTB_DEBUG
  // makes a start from the snapshot say so.
  const root = mkdtempSync(join(tmpdir(), 'ptb-snapshot-'));
  scratchDirs.push(root);
  cpSync(join(REPO_ROOT, 'scripts'), join(root, 'scripts'), { recursive: true, filter: (src) => !src.endsWith('/test') });
  cpSync(join(REPO_ROOT, 'package-lock.json'), join(root, 'package-lock.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  const cache = join(root, 'cache');
  const blob = join(cache, 'validate.blob');
  const FROM_SNAPSHOT = 'ptb: started from the validate snapshot\n';
  const ptb = (args: string[], cwd = REPO_ROOT, env: Record<string, string> = {}) => {
    const { CI: _ci, PTB_DEFINITIONS_DIR: _definitions, ...inherited } = process.env;
    const r = spawnSync(join(root, 'scripts', 'bin', 'ptb'), args, {
      cwd,
      encoding: 'utf8',
      env: { ...inherited, PTB_CACHE_DIR: cache, PTB_DEBUG: '1', ...env },
    });
    return {
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr.replace(FROM_SNAPSHOT, ''),
      snapshot: r.stderr.includes(FROM_SNAPSHOT),
    };
  };
  // The regular start: the launcher never uses the snapshot where PTB_DEFINITIONS_DIR is set.
  const regular = (args: string[], cwd = REPO_ROOT) =>
    ptb(args, cwd, { PTB_DEFINITIONS_DIR: join(REPO_ROOT, 'actions', 'core', 'definitions') });

  test('made after the first check, then used: the same output and exit code as the regular start, whatever the arguments', () => {
    const first = ptb(['validate', '--no-cache']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.snapshot).toBe(false);
    expect(existsSync(blob)).toBe(true);
    const broken = scratchRepo();
    mkdirSync(join(broken, 'submissions', 'bad'));
    writeFileSync(join(broken, 'submissions', 'bad', 'submission.yaml'), 'id: bad\nversion: 2.1\n');
    const cases: [string[], string][] = [
      [['validate', '--no-cache'], REPO_ROOT],
      [['validate', '--no-cache', '--format', 'json'], REPO_ROOT],
      [['validate', 'submissions'], REPO_ROOT],
      [['validate', '--help'], REPO_ROOT],
      [['validate', '--bogus'], REPO_ROOT],
      [['validate', '--no-cache'], broken],
      [['validate', '--format', 'github', 'submissions/bad'], broken],
    ];
    for (const [args, cwd] of cases) {
      const fast = ptb(args, cwd);
      const slow = regular(args, cwd);
      expect(fast.snapshot, args.join(' ')).toBe(true);
      expect(slow.snapshot).toBe(false);
      expect({ ...fast, snapshot: false }, args.join(' ')).toEqual(slow);
    }
    expect(regular(['validate', '--no-cache'], broken).status).toBe(1);
  });

  test('started by hand with PTB_DEFINITIONS_DIR set (captured when it was made): the regular start answers', () => {
    if (!existsSync(blob)) expect(ptb(['validate', '--no-cache']).status).toBe(0);
    const node = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
    const r = spawnSync(node, ['--snapshot-blob', blob, '--', 'validate', '--no-cache'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        PTB_CACHE_DIR: cache,
        PTB_DEBUG: '1',
        PTB_DEFINITIONS_DIR: join(REPO_ROOT, 'actions', 'core', 'definitions'),
      },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(FROM_SNAPSHOT);
    expect(r.stderr).toMatch(/^ok: /m);
  });

  test('after a change of its code the new code answers at once, and the next start has a new snapshot', () => {
    if (!existsSync(blob)) expect(ptb(['validate', '--no-cache']).status).toBe(0);
    const run = join(root, 'scripts', 'src', 'validate-run.ts');
    writeFileSync(run, readFileSync(run, 'utf8').replace('`ok: $', '`fine: $'));
    const changed = ptb(['validate', '--no-cache']);
    expect(changed.status).toBe(0);
    expect(changed.snapshot).toBe(false);
    expect(changed.stderr).toMatch(/^fine: \d+ file/m);
    const next = ptb(['validate', '--no-cache']);
    expect(next.snapshot).toBe(true);
    expect(next.stderr).toMatch(/^fine: \d+ file/m);
  });

  test('a damaged snapshot is not used: the regular start answers, and makes a new one', () => {
    if (!existsSync(blob)) expect(ptb(['validate', '--no-cache']).status).toBe(0);
    writeFileSync(blob, 'not a snapshot');
    const r = ptb(['validate', '--no-cache']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^(ok|fine): \d+ file/m);
    const next = ptb(['validate', '--no-cache']);
    expect(next.snapshot).toBe(true);
    expect(next.status).toBe(0);
  });
});
