import { z } from 'zod';
import { DefinitionVersion, Fraction, HfRepoId, PenaltyReason, PinnedImage, Sha256Hex, Slug, Unknown } from './common.ts';

export const RESULT_SCHEMA_VERSION = 1;

/** Something an integrity check found, with the evidence a maintainer needs to judge it. */
export const IntegrityFinding = z.strictObject({
  check: z
    .string()
    .min(1)
    .describe('Which check: egress-denied, protected-file-modified, model-identity, contamination, llm-judge, original-judge'),
  severity: z.enum(['info', 'warning', 'violation']).describe('A violation penalises the cell'),
  summary: z.string().min(1),
  evidence: z.array(z.string()).default([]).describe('Log lines, paths, hashes or values that back the finding'),
});

export const Score = z.strictObject({
  value: Fraction.describe('Metric of the final model on the full test set, as a fraction'),
  stderr: z.number().min(0).nullable().describe('Standard error of the mean; null when not published'),
  samples: z.number().int().positive().nullable(),
});

const VerifiedProvenance = z.strictObject({
  kind: z.literal('verified'),
  harnessCommit: z.string().regex(/^[a-f0-9]{40}$/),
  images: z.strictObject({ agent: PinnedImage, evaluation: PinnedImage }),
  finalModelSha256: Sha256Hex.nullable(),
  traceSha256: Sha256Hex.nullable(),
  runner: z.string().min(1),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  links: z.array(z.strictObject({ label: z.string(), url: z.url() })).default([]),
});

const ImportedProvenance = z.strictObject({
  kind: z.literal('imported'),
  repository: z.string().min(1),
  commit: z.string().regex(/^[a-f0-9]{7,40}$/),
  files: z.array(z.string().min(1)).min(1),
});

export const Provenance = z.discriminatedUnion('kind', [VerifiedProvenance, ImportedProvenance]);

/** How the agent's run ended and what it used; written by the run engine (absent on imported results). */
export const Execution = z.strictObject({
  runtime: z.enum(['bwrap', 'docker', 'apptainer']),
  agent: z.string().min(1).describe('Agent adapter that ran: a scaffold id, "baseline" or "script"'),
  endReason: z
    .enum(['agent-exited', 'time-limit', 'agent-error'])
    .describe('agent-exited: it stopped by itself; time-limit: the harness killed the sandbox at the budget'),
  exitCode: z.number().int().nullable(),
  budgetSeconds: z.number().min(0),
  outputTruncated: z.boolean().describe('The agent printed more than the trace keeps; the rest was dropped'),
  evaluateCalls: z.number().int().min(0).describe('Calls to the agent-facing evaluate entry point'),
  proxy: z.strictObject({
    requests: z.number().int().min(0).describe('Requests through the egress proxy'),
    denied: z.number().int().min(0),
    llmRequests: z.number().int().min(0).describe('Requests through the credential-injecting LLM proxy'),
    inputTokens: z.number().int().min(0),
    outputTokens: z.number().int().min(0),
    capReached: z.boolean(),
  }),
  overheadSeconds: z
    .strictObject({ setup: z.number().min(0), teardown: z.number().min(0) })
    .describe('Harness time before the agent started and after it ended (evaluator excluded)'),
});

/** How the final model was scored: the attempt that counted and the sampling it ran with. */
export const EvaluationRecord = z.strictObject({
  maxTokens: z.number().int().positive().describe('Max tokens of the attempt that scored (a rung of the retry ladder)'),
  attempts: z.number().int().positive().describe('Attempts made, the scoring one included'),
  sampling: z
    .strictObject({
      source: z.enum(['definition', 'generation_config.json', 'server']),
      temperature: z.number().min(0),
      topP: z.number().min(0).max(1),
      topK: z.number().int(),
      minP: z.number().min(0).max(1),
      repetitionPenalty: z.number().positive(),
    })
    .describe("Effective sampling parameters (the original passes none: vLLM's defaults and the model's generation_config.json)"),
});

/**
 * The result of one cell: one seed of one agent on one (base model, benchmark).
 * `score` is what the final model measured; the penalty policy decides what counts.
 */
export const CellResult = z.strictObject({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  submissionId: Slug,
  manifestSha256: z.union([Sha256Hex, Unknown]),
  definitionVersion: DefinitionVersion,
  baseModel: HfRepoId,
  benchmark: Slug,
  seed: z.number().int().min(1),
  status: z
    .enum(['scored', 'missing', 'broken', 'error'])
    .describe(
      'missing: no final model; broken: it did not load or evaluate; error: the harness, evaluator, fleet or a provider failed (never penalised: the cell is retried)',
    ),
  statusDetail: z.string().optional(),
  errorSource: z
    .enum(['harness', 'evaluator', 'provider', 'judge', 'fleet'])
    .optional()
    .describe('With status error: whose failure it was'),
  score: Score.nullable(),
  timeUsedSeconds: z.union([z.number().min(0), Unknown]),
  gpuHours: z.union([z.number().min(0), Unknown]),
  integrity: z.array(IntegrityFinding).default([]),
  provenance: Provenance,
  execution: Execution.optional(),
  evaluation: EvaluationRecord.optional(),
});

/** All cells of one run (seed) of a submission: `submissions/<id>/results/run-<seed>.json`. */
export const RunResultsFile = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('run'),
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  submissionId: Slug,
  definitionVersion: DefinitionVersion,
  seed: z.number().int().min(1),
  meanTimeUsedSeconds: z
    .union([z.number().min(0), Unknown])
    .describe('Mean time per cell when only the mean was published; otherwise computed from cells'),
  cells: z.array(CellResult),
});

const AggregateCell = z.strictObject({
  baseModel: HfRepoId,
  benchmark: Slug,
  mean: Fraction,
  std: z.number().min(0),
});

/**
 * Published mean and std over several runs, without the per-run grids (the original
 * publication kept only these). Penalties were applied by the original authors before
 * averaging, so which cells were penalised is unknown.
 */
export const PublishedAggregateFile = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('published-aggregate'),
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  submissionId: Slug,
  definitionVersion: DefinitionVersion,
  runs: z.number().int().min(1),
  headline: z.strictObject({ mean: Fraction, std: z.number().min(0).nullable() }),
  cells: z.array(AggregateCell).describe('Empty when only the headline was published'),
  time: z.union([z.strictObject({ meanSeconds: z.number().min(0), stdSeconds: z.number().min(0).nullable() }), Unknown]),
  provenance: ImportedProvenance,
});

export const ResultsFile = z.discriminatedUnion('kind', [RunResultsFile, PublishedAggregateFile]);

export type IntegrityFinding = z.infer<typeof IntegrityFinding>;
export type CellResult = z.infer<typeof CellResult>;
export type RunResultsFile = z.infer<typeof RunResultsFile>;
export type PublishedAggregateFile = z.infer<typeof PublishedAggregateFile>;
export type ResultsFile = z.infer<typeof ResultsFile>;
export type Provenance = z.infer<typeof Provenance>;
export type Execution = z.infer<typeof Execution>;
export type EvaluationRecord = z.infer<typeof EvaluationRecord>;
export { PenaltyReason };
