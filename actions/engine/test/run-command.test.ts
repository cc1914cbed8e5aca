import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CellResult } from '@ptb/core';
import { afterAll, describe, expect, test } from 'vitest';
import type { Io } from '../../../scripts/src/cli-kit.ts';
import { main } from '../../../scripts/src/main.ts';
import { CLIS_DIR, pinnedVersions } from '../src/agents/install.ts';
import { cleanupTempDirs, HONEST_MODEL, hostProcessesWith, MODEL_CACHE, submissionDir, tempDir, writeScript } from './helpers.ts';

afterAll(cleanupTempDirs);

async function ptb(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), cwd: process.cwd(), isTTY: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const cell = (sub: string, extra: string[] = []) => [
  'run',
  '--submission',
  sub,
  '--base-model',
  'ptb-ci/adder-base',
  '--benchmark',
  'ci-add',
  '--seed',
  '1',
  '--definition',
  'v0-ci',
  '--model-cache',
  MODEL_CACHE,
  ...extra,
];

describe('ptb run', () => {
  test('runs a cell, writes result.json and logs, prints the CellResult with --json, exits 0', async () => {
    const out = join(tempDir('cli'), 'cell');
    const r = await ptb(
      cell(submissionDir(), ['--out', out, '--budget-seconds', '20', '--agent', `script:${writeScript(HONEST_MODEL)}`, '--json']),
    );
    expect(r.err).toMatch(/^scored: ptb-ci\/adder-base x ci-add seed 1: score 100\.0%/m);
    expect(r.code).toBe(0);
    const printed = CellResult.parse(JSON.parse(r.out));
    expect(CellResult.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')))).toEqual(printed);
    expect(printed.score?.value).toBe(1);
    for (const f of ['agent-trace.jsonl', 'proxy-access.log', 'evaluator.log'])
      expect(readFileSync(join(out, 'logs', f))).toBeTruthy();
  }, 60_000);

  test('usage errors exit 2', async () => {
    expect((await ptb(['run'])).code).toBe(2);
    expect((await ptb([...cell(submissionDir()), '--runtime', 'podman'])).code).toBe(2);
    expect((await ptb([...cell(submissionDir()), '--agent', 'nonsense'])).code).toBe(2);
    const seed = cell(submissionDir());
    seed[8] = '0';
    const r = await ptb(seed);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--seed/);
  });

  test('invalid input exits 1: a broken manifest (file:line), an unknown model or benchmark, an unknown definition', async () => {
    const bad = submissionDir();
    writeFileSync(join(bad, 'submission.yaml'), 'id: test-agent\nagent: [unclosed\n');
    const r1 = await ptb(cell(bad));
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/submission\.yaml:\d+:\d+/);
    const model = cell(submissionDir());
    model[4] = 'Qwen/Qwen3-4B-Base';
    const r2 = await ptb(model);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/base model "Qwen\/Qwen3-4B-Base" is not in definition v0-ci/);
    const bench = cell(submissionDir());
    bench[6] = 'gsm8k';
    expect((await ptb(bench)).err).toMatch(/benchmark "gsm8k" is not in definition v0-ci/);
    const def = cell(submissionDir());
    def[10] = 'v99';
    expect((await ptb(def)).code).toBe(1);
  });

  test('a submission pinning a scaffold version this runner does not run is refused before anything starts, naming the accepted one', async () => {
    // The test manifest pins claude-code 2.1.3; the project installs another version.
    const r = await ptb(cell(submissionDir(), ['--out', join(tempDir('cli-ver'), 'cell')]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/claude-code: the submission pins version 2\.1\.3; accepted: \d+\.\d+\.\d+/);
  });

  test("the pinned scaffold missing on this runner is the runner's fault: exit 3, no result, nothing held against the agent", async () => {
    const sub = submissionDir();
    const manifest = join(sub, 'submission.yaml');
    const pinned = pinnedVersions(CLIS_DIR)['claude-code'] as string;
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/version: "?2\.1\.3"?/, `version: "${pinned}"`));
    expect(readFileSync(manifest, 'utf8')).toContain(pinned);
    const out = join(tempDir('cli-clis'), 'cell');
    const before = process.env.PTB_AGENT_CLIS;
    process.env.PTB_AGENT_CLIS = tempDir('no-clis');
    try {
      const r = await ptb(cell(sub, ['--out', out]));
      expect(r.code).toBe(3);
      expect(r.err).toMatch(
        /preflight failed:[\s\S]*claude-code: @anthropic-ai\/claude-code is not installed in .*; provision the runner/,
      );
      expect(existsSync(join(out, 'result.json'))).toBe(false);
    } finally {
      if (before === undefined) delete process.env.PTB_AGENT_CLIS;
      else process.env.PTB_AGENT_CLIS = before;
    }
  });

  test('infrastructure failure exits 3 and writes no result: the base model is not in the cache', async () => {
    const out = join(tempDir('cli-pre'), 'cell');
    const args = cell(submissionDir(), ['--out', out]);
    args[12] = tempDir('empty-cache');
    const r = await ptb(args);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/preflight failed:[\s\S]*base model not in the cache/);
    expect(() => readFileSync(join(out, 'result.json'))).toThrow();
  });

  test('docker without images pinned by digest is refused before anything runs', async () => {
    const r = await ptb([...cell(submissionDir()), '--runtime', 'docker']);
    expect([1, 3]).toContain(r.code);
    expect(r.err).toMatch(/docker|PTB_AGENT_IMAGE/);
  });
});

describe('ptb run, cancelled', () => {
  test('SIGTERM (a cancelled job) kills the agent, writes an error result that says so, leaves nothing running', async () => {
    const out = join(tempDir('cancel'), 'cell');
    const marker = `4${Math.floor(Math.random() * 1e6)}`;
    const script = writeScript(`${HONEST_MODEL}\necho AGENT-UP\nexec sleep ${marker}`);
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('../../../scripts/src/ptb.ts', import.meta.url)),
        ...cell(submissionDir(), ['--out', out, '--budget-seconds', '120', '--agent', `script:${script}`]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    // Wait until the agent is up (its line reaches the trace), however long that takes here.
    const trace = join(out, 'logs', 'agent-trace.jsonl');
    while (!(existsSync(trace) && readFileSync(trace, 'utf8').includes('AGENT-UP'))) {
      if (child.exitCode !== null) throw new Error(`ptb run ended early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(3);
    expect(stderr).toMatch(/cancelled: the run was cancelled in its agent phase/);
    const result = CellResult.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.status).toBe('error');
    expect(result.errorSource).toBe('fleet');
    expect(hostProcessesWith(`sleep ${marker}`)).toEqual([]);
    expect(hostProcessesWith(out)).toEqual([]);
  }, 120_000);
});
