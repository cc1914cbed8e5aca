import { defineCollection } from 'astro:content';
import { AgentManifest, BenchmarkDefinition, ReferenceManifest, ResultsFile, Timeline } from '@ptb/core';
import { listDefinitionVersions, loadDefinition, loadSubmissions } from '@ptb/core/files';
import { z } from 'zod';
import { dataRoot } from './lib/data-root.ts';

/**
 * The site reads the same files with the same zod schemas as `ptb validate` and
 * `ptb leaderboard`: an invalid submission fails the build with the validator's message.
 */
const submissions = defineCollection({
  loader: () => {
    const { submissions: list, traces, diagnostics } = loadSubmissions(dataRoot());
    if (diagnostics.length > 0) {
      const lines = diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.field} ${d.message}`);
      throw new Error(`invalid submissions (run \`npx ptb validate\`):\n${lines.join('\n')}`);
    }
    return list.map((s) => ({
      id: s.manifest.id,
      manifest: s.manifest,
      results: s.results,
      traces: traces.filter((t) => t.submissionId === s.manifest.id),
    }));
  },
  schema: z.object({
    manifest: z.union([AgentManifest, ReferenceManifest]),
    results: z.array(ResultsFile),
    /** Agent timelines of verified cells, checked by the same validator as `ptb validate`. */
    traces: z.array(
      z.object({
        submissionId: z.string(),
        seed: z.number(),
        baseModelKey: z.string(),
        baseModel: z.string().nullable(),
        benchmark: z.string(),
        file: z.string(),
        timeline: Timeline,
      }),
    ),
  }),
});

const definitions = defineCollection({
  loader: () =>
    listDefinitionVersions().map((version) => {
      const { weights, ...rest } = loadDefinition(version);
      // Stored as written (weights are derived again from the baselines where used).
      return { id: version, definition: { ...rest, weights: { rule: weights.rule } } };
    }),
  schema: z.object({ definition: BenchmarkDefinition }),
});

export const collections = { submissions, definitions };
