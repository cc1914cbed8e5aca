import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedDefinition } from '@ptb/core';
import { sampleTimeline } from './generate-trace.ts';

/**
 * Writes `count` valid agent submissions (and optionally `runs` result files each) under root/submissions.
 * With `traces`, each run also gets the traces of its first base model's first two benchmarks.
 */
export function generateSubmissions(
  root: string,
  def: ResolvedDefinition,
  count: number,
  runs = 0,
  options: { traces?: boolean } = {},
): void {
  mkdirSync(join(root, 'submissions'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"private":true}\n');
  const scaffolds = ['claude-code', 'codex-cli', 'gemini-cli', 'opencode'];
  for (let i = 0; i < count; i++) {
    const id = `generated-agent-${String(i).padStart(4, '0')}`;
    const dir = join(root, 'submissions', id);
    mkdirSync(join(dir, 'results'), { recursive: true });
    writeFileSync(
      join(dir, 'submission.yaml'),
      [
        `id: ${id}`,
        `displayName: Generated agent ${i}`,
        'description: A generated submission for benchmarks.',
        'contact:',
        '  name: Bench',
        '  github: bench-bot',
        'agent:',
        `  scaffold: ${scaffolds[i % scaffolds.length]}`,
        `  version: 1.${i % 10}.0`,
        '  model: some-model',
        '  reasoningEffort: high',
        `runs: ${Math.max(1, runs)}`,
        '',
      ].join('\n'),
    );
    for (let seed = 1; seed <= runs; seed++) {
      const cells = def.baseModels.flatMap((m, mi) =>
        def.benchmarks.map((b, bi) => ({
          schemaVersion: 1,
          submissionId: id,
          manifestSha256: 'unknown',
          definitionVersion: def.version,
          baseModel: m.id,
          benchmark: b.id,
          seed,
          status: 'scored',
          score: { value: ((i * 7 + seed * 13 + b.id.length) % 100) / 100, stderr: 0.01, samples: b.dataset.samples },
          timeUsedSeconds: 3600 * ((i % 10) + 1) * 0.9,
          gpuHours: ((i % 10) + 1) * 0.9,
          integrity: [],
          provenance: {
            kind: 'verified',
            harnessCommit: 'a'.repeat(40),
            images: {
              agent: `ghcr.io/ptb/agent@sha256:${'b'.repeat(64)}`,
              evaluation: `ghcr.io/ptb/eval@sha256:${'c'.repeat(64)}`,
            },
            finalModelSha256: 'd'.repeat(64),
            traceSha256: 'e'.repeat(64),
            runner: 'bench',
            startedAt: '2026-01-01T00:00:00Z',
            finishedAt: '2026-01-01T10:00:00Z',
            links: mi === 0 && bi === 0 ? [{ label: 'agent trace', url: `https://example.org/traces/${id}/${seed}` }] : [],
          },
        })),
      );
      if (options.traces) {
        const model = def.baseModels[0];
        for (const b of def.benchmarks.slice(0, 2)) {
          if (!model) continue;
          const folder = join(dir, 'traces', `run-${seed}`);
          mkdirSync(folder, { recursive: true });
          const timeline = sampleTimeline({ seed, budgetSeconds: def.budget.hours * 3600, benchmark: b.id });
          writeFileSync(join(folder, `${model.key}--${b.id}.json`), JSON.stringify(timeline, null, 1));
        }
      }
      writeFileSync(
        join(dir, 'results', `run-${seed}.json`),
        JSON.stringify({
          kind: 'run',
          schemaVersion: 1,
          submissionId: id,
          definitionVersion: def.version,
          seed,
          meanTimeUsedSeconds: 'unknown',
          cells,
        }),
      );
    }
  }
}
