import { z } from 'zod';
import { BenchmarkDefinition } from './schemas/definition.ts';
import { Leaderboard } from './schemas/leaderboard.ts';
import { AgentManifest, ReferenceManifest } from './schemas/manifest.ts';
import { ResultsFile } from './schemas/result.ts';
import { Timeline } from './schemas/timeline.ts';

const SCHEMA_BASE = 'https://posttrainbench.github.io/schemas/';

function exportSchema(schema: z.ZodType, id: string, title: string): Record<string, unknown> {
  // "input": what a person may write (defaults make fields optional), not what we store.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return { ...json, $id: `${SCHEMA_BASE}${id}`, title };
}

/** JSON Schema files, by file name, generated from the zod schemas (the one source of truth). */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'submission.schema.json': exportSchema(
      z.union([AgentManifest, ReferenceManifest]),
      'submission.schema.json',
      'PostTrainBench submission manifest (submissions/<id>/submission.yaml)',
    ),
    'results.schema.json': exportSchema(
      ResultsFile,
      'results.schema.json',
      'PostTrainBench results file (submissions/<id>/results/*.json)',
    ),
    'leaderboard.schema.json': exportSchema(
      Leaderboard,
      'leaderboard.schema.json',
      'PostTrainBench leaderboard (leaderboard.json)',
    ),
    'timeline.schema.json': exportSchema(
      Timeline,
      'timeline.schema.json',
      'PostTrainBench cell timeline (the agent trace in one format, shown by the trace viewer)',
    ),
    'benchmark-definition.schema.json': exportSchema(
      BenchmarkDefinition,
      'benchmark-definition.schema.json',
      'PostTrainBench benchmark definition (actions/core/definitions/<version>.yaml)',
    ),
  };
}
