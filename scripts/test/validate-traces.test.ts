/**
 * `ptb validate` accepts the traces of verified cells and reports a bad one by file, line and field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefinition } from '@ptb/core/files';
import { afterAll, expect, test } from 'vitest';
import { generateSubmissions } from '../bench/generate.ts';
import { runPtb } from './helpers.ts';

const def = loadDefinition('v1');
const root = mkdtempSync(join(tmpdir(), 'ptb-validate-traces-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
generateSubmissions(root, def, 1, 1, { traces: true });
const folder = join(root, 'submissions', 'generated-agent-0000');
const good = join(folder, 'traces', 'run-1', 'Qwen3-1.7B-Base--aime2025.json');

test('valid traces pass and are counted', async () => {
  const r = await runPtb(['validate'], root);
  expect(r.err).toContain('ok: 4 file(s) in 1 submission(s) valid');
  expect(r.code).toBe(0);
});

test('a wrong value, an unknown base model key and a stray name are each reported where they are', async () => {
  const timeline = JSON.parse(readFileSync(good, 'utf8'));
  timeline.events[4].exitCode = 'zero'; // the first tool-result
  writeFileSync(join(folder, 'traces', 'run-1', 'Qwen3-1.7B-Base--arenahardwriting.json'), JSON.stringify(timeline, null, 1));
  writeFileSync(join(folder, 'traces', 'run-1', 'Qwen3-1.7B--aime2025.json'), readFileSync(good));
  writeFileSync(join(folder, 'traces', 'run-1', 'notes.md'), '# notes\n');
  const r = await runPtb(['validate', '--format', 'json'], root);
  expect(r.code).toBe(1);
  const { diagnostics } = JSON.parse(r.out) as { diagnostics: { file: string; line: number; field: string; message: string }[] };
  const at = (name: string) => diagnostics.filter((d) => d.file.endsWith(`traces/run-1/${name}`));
  const [value] = at('Qwen3-1.7B-Base--arenahardwriting.json');
  expect(value?.field).toBe('events[4].exitCode');
  const text = JSON.stringify(timeline, null, 1).split('\n');
  expect(text[(value?.line ?? 0) - 1]).toContain('"exitCode": "zero"');
  expect(at('Qwen3-1.7B--aime2025.json')[0]?.message).toContain('not a base model key of definition v1');
  expect(at('notes.md')).toHaveLength(1);
  expect(diagnostics).toHaveLength(3);
});
