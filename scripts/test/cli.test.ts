import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Leaderboard } from '@ptb/core';
import { describe, expect, test } from 'vitest';
import { COMMANDS } from '../src/main.ts';
import { REPO_ROOT, runPtb } from './helpers.ts';

/** A throwaway repository: package.json and an empty submissions/ folder. */
function scratchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptb-repo-'));
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

  test('answers from prompts', async () => {
    const dir = scratchRepo();
    const answers = ['prompted-agent', 'Prompted', 'codex-cli', '0.80.0', 'gpt-5.4', 'high', '1', 'Bo', '', 'Asked.'];
    const out: string[] = [];
    const err: string[] = [];
    const { main } = await import('../src/main.ts');
    const code = await main(['new', '--dry-run'], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      cwd: dir,
      isTTY: true,
      ask: async () => answers.shift() ?? '',
    });
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/scaffold: codex-cli[\s\S]*reasoningEffort: high[\s\S]*runs: 1/);
  });

  test('invalid values are reported and nothing is written', async () => {
    const dir = scratchRepo();
    const flags = NEW_FLAGS.map((f) => (f === 'claude-code' ? 'cursor' : f === '2.1.3' ? '^2' : f));
    const r = await runPtb(['new', ...flags], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/agent\.scaffold/);
    expect(r.err).toMatch(/agent\.version/);
    expect(r.err).toMatch(/nothing written/);
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
