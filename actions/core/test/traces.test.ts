/**
 * Traces of verified cells (`traces/run-<seed>/<baseModelKey>--<benchmark>.json`): accepted
 * when they are a Timeline of a verified cell of that run, refused with file, line and field otherwise.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Diagnostic,
  type RunResultsFile,
  type SubmissionSource,
  type Timeline,
  traceLocation,
  validateSubmissions,
} from '@ptb/core';
import { readAllSubmissions } from '@ptb/core/files';
import { afterAll, describe, expect, test } from 'vitest';
import { run, tinyDefinition } from './builders.ts';

const def = tinyDefinition();
const enc = (text: string) => new TextEncoder().encode(text);

const MANIFEST = `id: my-agent
displayName: My agent
benchmarkVersion: v9
description: An agent.
contact:
  name: Ada
agent:
  scaffold: claude-code
  version: 2.1.3
  model: claude-opus-4-6
runs: 2
`;

export function timeline(overrides: Partial<Timeline> = {}): Timeline {
  return {
    schemaVersion: 1,
    scaffold: 'claude-code',
    model: 'claude-opus-4-6',
    startedAt: '2026-01-01T00:00:00Z',
    budgetSeconds: 3600,
    events: [
      { kind: 'harness', t: 0, text: 'agent started' },
      { kind: 'message', t: 5, role: 'assistant', text: 'Let me look at the workspace.' },
      { kind: 'tool-call', t: 6, id: 'c1', tool: 'Bash', command: 'ls' },
      { kind: 'tool-result', t: 7, id: 'c1', output: 'evaluate\ntemplates\n', exitCode: 0 },
      {
        kind: 'web',
        t: 9,
        method: 'GET',
        url: 'https://huggingface.co/org/a-it',
        decision: 'denied',
        status: 403,
        rule: 'instruct',
      },
      { kind: 'evaluate', t: 1200, limit: 5, ok: true, metrics: { accuracy: 0.4 } },
      { kind: 'gpu', t: 1300, utilization: 97, memoryMiB: 60_000 },
    ],
    totals: {
      messages: 1,
      toolCalls: 1,
      webRequests: 1,
      deniedRequests: 1,
      evaluateCalls: 1,
      inputTokens: 1000,
      outputTokens: 200,
    },
    truncated: false,
    ...overrides,
  };
}

const results = (): RunResultsFile => run('my-agent', 1, [0.5, 0.4, 0.3, 0.2]);

function source(traces: Record<string, string>, runs: RunResultsFile[] = [results()]): SubmissionSource {
  return {
    manifest: { path: 'submissions/my-agent/submission.yaml', bytes: enc(MANIFEST) },
    folderId: 'my-agent',
    folderPath: 'submissions/my-agent',
    results: runs.map((r) => ({ path: `submissions/my-agent/results/run-${r.seed}.json`, bytes: enc(JSON.stringify(r)) })),
    traces: Object.entries(traces).map(([rel, text]) => ({ path: `submissions/my-agent/${rel}`, bytes: enc(text) })),
    strayFiles: [],
  };
}

const check = (traces: Record<string, string>, runs?: RunResultsFile[]) =>
  validateSubmissions([source(traces, runs)], ['v9'], { definitionOf: () => def });

const only = (diagnostics: Diagnostic[]): Diagnostic => {
  expect(diagnostics).toHaveLength(1);
  return diagnostics[0] as Diagnostic;
};

describe('trace files', () => {
  test('the name says seed, base model key and benchmark', () => {
    expect(traceLocation('submissions/x/traces/run-2/Qwen3-4B-Base--gsm8k.json')).toEqual({
      seed: 2,
      baseModelKey: 'Qwen3-4B-Base',
      benchmark: 'gsm8k',
    });
    expect(traceLocation('submissions/x/traces/run-0/a--alpha.json')).toBeNull();
    expect(traceLocation('submissions/x/traces/run-1/a-alpha.json')).toBeNull();
    expect(traceLocation('submissions/x/traces/a--alpha.json')).toBeNull();
  });

  test('a Timeline of a verified cell is accepted and handed back with its cell', () => {
    const { diagnostics, traces, checked } = check({ 'traces/run-1/b--beta.json': JSON.stringify(timeline(), null, 2) });
    expect(diagnostics).toEqual([]);
    expect(checked).toBe(3);
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ submissionId: 'my-agent', seed: 1, baseModelKey: 'b', baseModel: 'org/b-base' });
    expect(traces[0]?.timeline.events).toHaveLength(7);
  });

  test('a file that is not named as a trace says the pattern', () => {
    const d = only(check({ 'traces/run-1/notes.txt': 'hello' }).diagnostics);
    expect(d).toMatchObject({ file: 'submissions/my-agent/traces/run-1/notes.txt', code: 'unexpected-file' });
    expect(d.expected).toBe('traces/run-<seed>/<base model key>--<benchmark>.json');
  });

  test('an unknown base model key or benchmark names the known ones', () => {
    const key = only(check({ 'traces/run-1/c--alpha.json': JSON.stringify(timeline()) }).diagnostics);
    expect(key.message).toContain('"c" is not a base model key of definition v9');
    expect(key.expected).toBe('one of a, b');
    const bench = only(check({ 'traces/run-1/a--gamma.json': JSON.stringify(timeline()) }).diagnostics);
    expect(bench.expected).toBe('one of alpha, beta');
  });

  test('a trace of a run without results, or of a cell the run lacks, is refused', () => {
    const noRun = only(check({ 'traces/run-2/a--alpha.json': JSON.stringify(timeline()) }).diagnostics);
    expect(noRun.message).toContain('no results/run-2.json');
    const partial = run('my-agent', 1, [0.5]);
    const noCell = only(check({ 'traces/run-1/b--beta.json': JSON.stringify(timeline()) }, [partial]).diagnostics);
    expect(noCell.message).toContain('has no cell org/b-base / beta');
  });

  test('imported cells have no traces', () => {
    const imported = results();
    for (const c of imported.cells)
      c.provenance = { kind: 'imported', repository: 'aisa-group/posttrainbench-website', commit: '49cdae1', files: ['x.csv'] };
    const d = only(check({ 'traces/run-1/a--alpha.json': JSON.stringify(timeline()) }, [imported]).diagnostics);
    expect(d.message).toContain('is imported; only verified cells have traces');
  });

  test('broken JSON points at the line', () => {
    const text = `{\n  "schemaVersion": 1,\n  "events": [,]\n}`;
    const d = only(check({ 'traces/run-1/a--alpha.json': text }).diagnostics);
    expect(d).toMatchObject({ code: 'invalid-json', line: 3 });
  });

  test('a schema error names the field and the line of that very event', () => {
    const bad = timeline();
    const events = bad.events as unknown as Record<string, unknown>[];
    (events[5] as Record<string, unknown>).t = -3;
    (events[4] as Record<string, unknown>).decision = 'maybe';
    const text = JSON.stringify(bad, null, 2);
    const { diagnostics, traces } = check({ 'traces/run-1/a--alpha.json': text });
    expect(traces).toEqual([]);
    const lines = text.split('\n');
    const byField = new Map(diagnostics.map((d) => [d.field, d]));
    const t = byField.get('events[5].t');
    expect(t?.code).toBe('invalid-value');
    expect(lines[(t?.line ?? 0) - 1]).toContain('"t": -3');
    const decision = byField.get('events[4].decision');
    expect(lines[(decision?.line ?? 0) - 1]).toContain('"decision": "maybe"');
    for (const d of diagnostics) expect(d.file).toBe('submissions/my-agent/traces/run-1/a--alpha.json');
  });

  test('a missing top-level field is named', () => {
    const { totals: _t, ...noTotals } = timeline();
    const d = only(check({ 'traces/run-1/a--alpha.json': JSON.stringify(noTotals) }).diagnostics);
    expect(d.field).toBe('totals');
  });
});

describe('the folder reader', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptb-traces-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('hands traces/ to the trace check and reports what is deeper than a run folder', () => {
    const folder = join(root, 'submissions', 'my-agent');
    mkdirSync(join(folder, 'results'), { recursive: true });
    mkdirSync(join(folder, 'traces', 'run-1', 'deeper'), { recursive: true });
    writeFileSync(join(folder, 'submission.yaml'), MANIFEST);
    writeFileSync(join(folder, 'results', 'run-1.json'), JSON.stringify(results()));
    writeFileSync(join(folder, 'traces', 'run-1', 'a--alpha.json'), JSON.stringify(timeline()));
    writeFileSync(join(folder, 'traces', 'run-1', 'deeper', 'x.json'), '{}');
    symlinkSync('/etc/hostname', join(folder, 'traces', 'run-1', 'b--beta.json'));
    const [src] = readAllSubmissions(root);
    expect(src?.traces?.map((t) => t.path)).toEqual(['submissions/my-agent/traces/run-1/a--alpha.json']);
    expect(src?.strayFiles.sort()).toEqual([
      'submissions/my-agent/traces/run-1/b--beta.json',
      'submissions/my-agent/traces/run-1/deeper',
    ]);
    const { traces, diagnostics } = validateSubmissions(readAllSubmissions(root), ['v9'], { definitionOf: () => def });
    expect(traces).toHaveLength(1);
    expect(diagnostics.map((d) => d.code)).toEqual(['unexpected-file', 'unexpected-file']);
  });
});
