import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLeaderboard, DefinitionError, parseDefinition, taskMatrix } from '@ptb/core';
import { DEFINITIONS_DIR, listDefinitionVersions, loadDefinition } from '@ptb/core/files';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';

const v1Text = readFileSync(join(DEFINITIONS_DIR, 'v1.yaml'), 'utf8');

describe('benchmark definition v1', () => {
  const def = loadDefinition('v1');

  test('is the published task matrix', () => {
    expect(def.baseModels.map((m) => m.id)).toEqual([
      'Qwen/Qwen3-1.7B-Base',
      'Qwen/Qwen3-4B-Base',
      'HuggingFaceTB/SmolLM3-3B-Base',
      'google/gemma-3-4b-pt',
    ]);
    expect(def.benchmarks.map((b) => b.id)).toEqual([
      'aime2025',
      'arenahardwriting',
      'bfcl',
      'gpqamain',
      'gsm8k',
      'healthbench',
      'humaneval',
    ]);
    expect(taskMatrix(def)).toHaveLength(28);
    expect(def.budget).toEqual({
      hours: 10,
      gpu: { model: 'NVIDIA H100 80GB', memoryGB: 80, count: 1 },
      diskGB: 200,
      pids: 16384,
    });
    expect(Object.keys(def.baselines.zeroShot)).toHaveLength(8);
  });

  test('weights sum to 1 and are not typed into the data', () => {
    expect(Object.values(def.weights.values).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(parse(v1Text).weights).toEqual({ rule: 'inverse-instruct-gap' });
  });

  test('egress rules by artefact: the instruct families, a test-set rule per benchmark, our own data, each with its reason', () => {
    const families = def.network.deny.flatMap((r) => (r.artefact === 'model-family' ? r.families : []));
    expect(families.map((f) => f.name)).toEqual(['Qwen3-1.7B', 'Qwen3-4B', 'SmolLM3-3B', 'gemma-3-4b', 'medgemma-4b']);
    const testSets = def.network.deny.flatMap((r) => (r.artefact === 'test-set' ? [r.benchmark] : []));
    expect(testSets.sort()).toEqual(def.benchmarks.map((b) => b.id).sort());
    expect(def.network.deny.find((r) => r.artefact === 'leaderboard-data')).toMatchObject({ deployment: true });
    for (const r of def.network.deny) expect(r.reason.length).toBeGreaterThan(10);
  });
});

describe('egress rules that do not fit the rest of the definition are refused', () => {
  const withDeny = (edit: (deny: Record<string, unknown>[]) => Record<string, unknown>[]) => {
    const v = parse(v1Text);
    v.network.deny = edit(v.network.deny);
    return stringify(v);
  };
  const messages = (text: string): string => {
    try {
      parseDefinition(text, 'v1.yaml');
      return '';
    } catch (e) {
      return (e as DefinitionError).diagnostics
        .map((d) => `${d.field ?? ''}: ${d.message}${d.expected ? ` (expected ${d.expected})` : ''}`)
        .join('\n');
    }
  };

  test('a base model whose instruct checkpoint no family rule refuses', () => {
    const text = withDeny((deny) =>
      deny.map((r) =>
        r.id === 'instruct-checkpoints'
          ? { ...r, families: (r.families as { name: string }[]).filter((f) => f.name !== 'gemma-3-4b') }
          : r,
      ),
    );
    expect(messages(text)).toMatch(
      /no model-family deny rule refuses "google\/gemma-3-4b-it" while allowing "google\/gemma-3-4b-pt"/,
    );
  });

  test('a family rule that would refuse the base checkpoint too', () => {
    const text = withDeny((deny) =>
      deny.map((r) => (r.id === 'instruct-checkpoints' ? { ...r, families: [{ name: 'Qwen3' }] } : r)),
    );
    expect(messages(text)).toMatch(/refuses "Qwen\/Qwen3-4B" while allowing "Qwen\/Qwen3-4B-Base"/);
  });

  test('a benchmark without a test-set rule, a duplicate id, an unknown artefact', () => {
    expect(messages(withDeny((deny) => deny.filter((r) => r.id !== 'gpqamain-test-set')))).toMatch(
      /no test-set deny rule names benchmark "gpqamain"/,
    );
    expect(messages(withDeny((deny) => [...deny, { ...deny[2] }]))).toMatch(/duplicate deny rule id "aime2025-test-set"/);
    expect(messages(withDeny((deny) => [...deny, { artefact: 'model', id: 'x', reason: 'r' }]))).toMatch(
      /expected a deny rule: \{ pattern, reason \}/,
    );
    expect(messages(withDeny((deny) => [...deny, { pattern: 'a b', reason: 'r' }]))).toMatch(/URL pattern/);
  });

  test('the simple pattern rule of v1 stays valid', () => {
    const text = withDeny((deny) => [...deny, { pattern: 'huggingface.co/Qwen/Qwen3-4B', reason: 'instruct checkpoint' }]);
    expect(messages(text)).toBe('');
  });
});

describe('a new version is data only', () => {
  test('v2 that drops a benchmark loads, reweights over the rest, and scores', () => {
    const v2 = parse(v1Text);
    v2.version = 'v2';
    v2.status = 'draft';
    v2.benchmarks = v2.benchmarks.filter((b: { id: string }) => b.id !== 'healthbench');
    const dir = mkdtempSync(join(tmpdir(), 'ptb-defs-'));
    try {
      writeFileSync(join(dir, 'v2.yaml'), stringify(v2));
      const def = loadDefinition('v2', dir);
      expect(listDefinitionVersions(dir)).toEqual(['v2']);
      expect(Object.keys(def.weights.values)).not.toContain('healthbench');
      expect(Object.values(def.weights.values).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const v1 = loadDefinition('v1');
      // Dropping one benchmark rescales the others by the same factor.
      const ratio = (def.weights.values.gsm8k ?? 0) / (v1.weights.values.gsm8k ?? 1);
      expect((def.weights.values.aime2025 ?? 0) / (v1.weights.values.aime2025 ?? 1)).toBeCloseTo(ratio, 12);
      const board = buildLeaderboard(def, [
        {
          manifest: {
            id: 'base-zero-shot',
            displayName: 'Base',
            kind: 'reference',
            benchmarkVersion: 'v2',
            description: 'd',
            contact: { name: 'n' },
            links: [],
            hidden: false,
            reference: { of: 'base-zero-shot' },
          },
          results: [],
        },
      ]);
      expect(board.rows[0]?.cells).toHaveLength(24);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an invalid definition says where and what', () => {
  test('unknown key, with file and line', () => {
    const broken = v1Text.replace('status: current', 'status: current\nstatuss: typo');
    try {
      parseDefinition(broken, 'defs/v1.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DefinitionError);
      const d = (e as DefinitionError).diagnostics[0];
      expect(d?.field).toBe('statuss');
      expect(d?.line).toBe(v1Text.split('\n').findIndex((l) => l.startsWith('status:')) + 2);
      expect(d?.hint).toMatch(/status/);
    }
  });

  test('a missing baseline is refused', () => {
    const broken = v1Text.replace(/ {4}google\/gemma-3-4b-it:\n(?: {6}.*\n)+/, '');
    expect(() => parseDefinition(broken, 'v1.yaml')).toThrow(/no zero-shot baseline for google\/gemma-3-4b-it/);
  });
});
