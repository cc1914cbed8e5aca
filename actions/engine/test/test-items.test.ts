/**
 * The contamination scan's test items: a bundle's test.jsonl, or (Inspect on the host) what
 * the evaluation environment reads from the data cache. They are read while the agent runs,
 * and a scan that cannot get them says so instead of passing silently.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentManifest } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCell } from '../src/index.ts';
import { bundleTestItems } from '../src/integrity/test-items.ts';
import { benchmarkTestItems, evaluationEnvironment } from '../src/verify/environment.ts';
import { cleanupTempDirs, MANIFEST_YAML, submissionDir, tempDir, writeScript } from './helpers.ts';

afterAll(cleanupTempDirs);

const V1 = loadDefinition('v1');
// Longer than the worst cell below (60 s budget): a failing test never leaves a cell running.
const CELL_TIMEOUT_MS = 120_000;
const aime = V1.benchmarks.find((b) => b.id === 'aime2025');
if (!aime) throw new Error('v1 has no aime2025');

// Five made-up problems, long enough for the n-gram scan; none is a real test item.
const PROBLEMS = [1, 2, 3, 4, 5].map(
  (i) =>
    `Problem ${i}: a gardener plants ${i + 6} rows of tulips with ${i + 11} bulbs in each row and then gives away a quarter of the bulbs to the neighbours; how many bulbs remain in the garden at the end of spring`,
);

/** A data cache with the aime2025 test file and the Qwen3 chat template, and a sources list that pins them. */
function aimeDataCache(testJsonl: string): { data: string; sources: string } {
  const data = tempDir('aime-data');
  mkdirSync(join(data, 'math-ai', 'aime25'), { recursive: true });
  mkdirSync(join(data, 'templates'));
  writeFileSync(join(data, 'math-ai', 'aime25', 'test.jsonl'), testJsonl);
  writeFileSync(join(data, 'templates', 'qwen3.jinja'), '{{ messages }}');
  const sources = join(tempDir('aime-sources'), 'sources.json');
  writeFileSync(
    sources,
    JSON.stringify({
      files: [
        { path: 'templates/qwen3.jinja', benchmarks: ['*'], sha256: null },
        { path: 'math-ai/aime25/test.jsonl', benchmarks: ['aime2025'], sha256: null },
      ],
    }),
  );
  return { data, sources };
}

const aimeItems = PROBLEMS.map((p, i) => JSON.stringify({ id: `aime-${i + 1}`, problem: p, answer: '1' })).join('\n');

describe('test items of a bundle', () => {
  test('each line gives an item; a line that is not JSON makes them unreadable, with its line; no file: none', () => {
    const dir = tempDir('bundle');
    writeFileSync(join(dir, 'test.jsonl'), '{"id": "a", "question": "one"}\n\n{"prompt": "two"}\n');
    expect(bundleTestItems(dir)).toEqual({
      kind: 'items',
      items: [
        { id: 'a', text: 'one' },
        { id: '2', text: 'two' },
      ],
    });
    writeFileSync(join(dir, 'test.jsonl'), '{"id": "a", "question": "one"}\n{"id": \n');
    expect(bundleTestItems(dir)).toEqual({ kind: 'unreadable', why: 'test.jsonl:2 is not valid JSON' });
    expect(bundleTestItems(tempDir('no-bundle'))).toEqual({ kind: 'none' });
  });
});

describe('test items read by the evaluation environment (Inspect on the host)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['PTB_EVAL_SOURCES', 'PTB_EVAL_DATA'])
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  });

  test('read from the data cache; a missing file is unreadable with the reason; a benchmark without a reader has none', async () => {
    const { data } = aimeDataCache(aimeItems);
    const env = { ...evaluationEnvironment(), dataDir: data };
    const read = await benchmarkTestItems(aime, env);
    expect(read.kind).toBe('items');
    expect(read.kind === 'items' && read.items.map((x) => x.id)).toEqual(['aime-1', 'aime-2', 'aime-3', 'aime-4', 'aime-5']);
    const empty = await benchmarkTestItems(aime, { ...env, dataDir: tempDir('empty-data') });
    expect(empty).toMatchObject({
      kind: 'unreadable',
      why: expect.stringMatching(/PTB-DATA-MISSING: math-ai\/aime25\/test\.jsonl/),
    });
    expect(await benchmarkTestItems({ ...aime, id: 'no-such-benchmark' }, env)).toEqual({ kind: 'none' });
  });

  /** A v1 aime2025 cell on a data cache of made-up items; `script` runs after the harness has read the items. */
  async function v1Cell(testJsonl: string, script: string) {
    const { data, sources } = aimeDataCache(testJsonl);
    process.env.PTB_EVAL_SOURCES = sources;
    process.env.PTB_EVAL_DATA = data;
    const cache = tempDir('v1-cache');
    const model = join(cache, 'Qwen', 'Qwen3-1.7B-Base');
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'config.json'), '{"model_type": "qwen3"}');
    let workspace = '';
    const outDir = join(tempDir('v1-out'), 'cell');
    const result = await runCell({
      submissionDir: submissionDir(),
      manifest: AgentManifest.parse(parseYaml(MANIFEST_YAML)),
      definition: V1,
      baseModel: 'Qwen/Qwen3-1.7B-Base',
      benchmark: 'aime2025',
      seed: 1,
      runtime: 'bwrap',
      outDir,
      budgetSeconds: 60,
      graceSeconds: 1,
      modelCacheDir: cache,
      limits: { diskBytes: 2 ** 30 },
      onScratch: (_scratch, ws) => {
        workspace = ws;
      },
      // The agent waits for this file: it appears only once the harness has the items.
      onMark: (name) => {
        if (name === 'test-items-read') writeFileSync(join(workspace, 'items-read'), '');
      },
      agent: {
        kind: 'script',
        path: writeScript(
          `i=0; while [ ! -e items-read ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n[ -e items-read ] && echo "the harness had the items while I ran"\n${script}`,
        ),
      },
    });
    const trace = readFileSync(join(outDir, 'logs', 'agent-trace.jsonl'), 'utf8');
    return { result, trace };
  }

  test(
    'the items are read while the agent runs, and the test items the agent kept are found and named',
    async () => {
      const problems = PROBLEMS.map((p) => `printf '%s\\n' '${p}' >> train.txt`).join('\n');
      const { result, trace } = await v1Cell(aimeItems, problems);
      expect(trace).toContain('the harness had the items while I ran');
      expect(result.status).toBe('missing');
      expect(result.execution?.endReason).toBe('agent-exited');
      const contamination = result.integrity.find((f) => f.check === 'contamination');
      expect(contamination?.severity).toBe('violation');
      expect(contamination?.evidence.join('\n')).toMatch(/aime-1 found in train\.txt/);
    },
    CELL_TIMEOUT_MS,
  );

  test(
    'items that cannot be read: a harness warning says the scan did not run, never a silent pass',
    async () => {
      const problems = PROBLEMS.map((p) => `printf '%s\\n' '${p}' >> train.txt`).join('\n');
      const { result } = await v1Cell(`${aimeItems}\n{"id": "broken`, problems);
      expect(result.execution?.endReason).toBe('agent-exited');
      expect(result.integrity.find((f) => f.check === 'contamination')).toBeUndefined();
      const warning = result.integrity.find((f) => /test items could not be read/.test(f.summary));
      expect(warning).toMatchObject({ check: 'harness', severity: 'warning' });
      expect(warning?.evidence.join('\n')).toMatch(/aime25\/test\.jsonl:6 is not valid JSON/);
    },
    CELL_TIMEOUT_MS,
  );
});
