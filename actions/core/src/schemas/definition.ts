import { z } from 'zod';
import { HfRepoId, IsoDate, Slug } from './common.ts';

/** Version names such as `v1`, `v2` or `v2-ci`. */
export const DefinitionVersion = z.string().regex(/^v\d+(?:-[a-z0-9]+)*$/, {
  message: 'must be a version name such as "v1" or "v2-ci"',
});

/** A base model of the task matrix with its official instruct counterpart. */
export const BaseModel = z.strictObject({
  id: HfRepoId.describe('Hugging Face id of the base checkpoint the agent fine-tunes'),
  key: z.string().min(1).describe('Short label used in published grids and file names'),
  displayName: z.string().min(1),
  family: Slug.describe('Model family; instruct checkpoints of the family are denied to the agent'),
  parametersB: z.number().positive().describe('Parameter count in billions'),
  instruct: z.strictObject({
    id: HfRepoId,
    displayName: z.string().min(1),
  }),
});

export const EvalSettings = z.strictObject({
  maxTokens: z.number().int().positive().describe('Generation limit per sample'),
  temperature: z
    .number()
    .min(0)
    .max(2)
    .optional()
    .describe("Sampling temperature; absent: the server's default (vLLM: from the model's generation_config.json)"),
  topP: z.number().gt(0).max(1).optional(),
  epochs: z.number().int().positive().default(1).describe('Times each sample is scored'),
  fewShot: z.number().int().min(0).default(0).describe('Examples in the prompt (0 = zero-shot)'),
  chatTemplate: z.boolean().describe('Whether prompts go through the model chat template'),
  grader: z.enum(['exact-match', 'multiple-choice', 'code-execution', 'function-call-match', 'llm-judge']),
  judgeModel: z.string().optional().describe('Provider model id of the LLM judge, for llm-judge graders'),
});

/**
 * How the verification stage scores a final model. The command runs in the evaluation
 * sandbox (no network, model read-only); `{placeholders}` are filled by the harness so that
 * decoding settings come from the definition, never from the model's own config.
 */
/** One rung of the retry ladder: attempts at one max-tokens value before the next, smaller one. */
export const RetryRung = z.strictObject({
  maxTokens: z.number().int().positive(),
  attempts: z.number().int().positive(),
});

/**
 * How the verification stage scores a final model. The command runs in the evaluation
 * sandbox (no network, model read-only); `{placeholders}` are filled by the harness so that
 * decoding settings come from the definition, never from the agent.
 */
export const EvaluationSpec = z.strictObject({
  runner: z
    .enum(['inspect', 'command'])
    .describe('inspect: `inspect eval <task>` (vLLM by default); command: the argv below, which must write an Inspect log'),
  task: z
    .string()
    .min(1)
    .optional()
    .describe('Inspect task: "inspect_evals/<name>" or one of ours, "ptb_evals/<name>" (runner: inspect)'),
  taskArgs: z.record(z.string(), z.string()).optional().describe('Task arguments (`-T name=value`)'),
  provider: z
    .enum(['vllm', 'hf'])
    .optional()
    .describe('Inspect model provider (default vllm, as the original; hf: transformers, for machines without vLLM)'),
  chatTemplates: z
    .record(Slug, z.string().regex(/^[A-Za-z0-9_.-]+\.jinja$/))
    .optional()
    .describe("Fixed chat template per base-model family (a file of the data cache's templates/), passed to the server"),
  toolCallParser: z.string().min(1).optional().describe('vLLM tool-call parser (enables automatic tool choice)'),
  gpuMemoryUtilization: z.number().gt(0).max(1).optional().describe('vLLM gpu_memory_utilization'),
  maxConnections: z.number().int().positive().optional().describe('Concurrent requests to the model server'),
  retries: z
    .array(RetryRung)
    .min(1)
    .optional()
    .describe('Retry ladder: attempts at each max-tokens value in turn; the first attempt that scores wins'),
  metric: z.string().min(1).optional().describe('Headline metric as "<scorer>/<metric>" (default: accuracy or the first)'),
  judge: z
    .strictObject({ model: z.string().min(1), reasoningEffort: z.enum(['minimal', 'low', 'medium', 'high']).optional() })
    .optional()
    .describe('LLM judge of the scorer, reached through the credential proxy'),
  command: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'argv template (runner: command); placeholders {model} {evaluator} {logDir} {limit} {seed} {shuffleSeed} {maxTokens} {temperature}',
    ),
  bundle: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .optional()
    .describe('Evaluator files shipped with the harness (pristine copy mounted read-only as {evaluator})'),
  seeds: z.array(z.number().int().min(0)).min(1).optional().describe('Verification seeds; the score is their mean'),
  timeoutSeconds: z.number().int().positive().optional().describe('Wall-clock limit of one verification attempt'),
});

export const Benchmark = z.strictObject({
  id: Slug,
  name: z.string().min(1),
  domain: z.string().min(1),
  description: z.string().min(1),
  dataset: z.strictObject({
    source: z.string().min(1).describe('Where the test set comes from (HF dataset id and subset)'),
    samples: z.number().int().positive().describe('Number of test samples scored'),
  }),
  metric: z.enum(['accuracy', 'pass@1', 'win-rate', 'rubric-score']),
  agentDefaultLimit: z
    .number()
    .int()
    .positive()
    .describe('Samples the agent-facing evaluate entry point scores unless --limit says otherwise'),
  eval: EvalSettings,
  evaluation: EvaluationSpec.optional().describe('How verification runs; default: the Inspect task inspect_evals/<id>'),
});

const ScoresByBenchmark = z.record(z.string(), z.number().min(0).max(1));

export const PenaltyReason = z.enum(['missing', 'broken', 'flagged']);

export const PenaltyPolicy = z.strictObject({
  replacement: z
    .literal('base-zero-shot')
    .describe("A penalised cell scores the base model's zero-shot baseline on that benchmark"),
  appliesTo: z.array(PenaltyReason).min(1),
  explanation: z.string().min(1),
});

export const WeightRule = z.strictObject({
  rule: z
    .literal('inverse-instruct-gap')
    .describe('weight_b proportional to 1 / (mean instruct score on b - mean base score on b), normalised to sum 1'),
});

export const NetworkPolicy = z.strictObject({
  allow: z.array(z.string().min(1)).describe('Host patterns the agent may reach through the egress proxy'),
  deny: z
    .array(z.strictObject({ pattern: z.string().min(1), reason: z.string().min(1) }))
    .describe('URL patterns refused even on an allowed host (instruct checkpoints, test sets, our own data)'),
});

export const BenchmarkDefinition = z
  .strictObject({
    version: DefinitionVersion,
    name: z.string().min(1),
    released: IsoDate,
    status: z.enum(['current', 'retired', 'draft']),
    budget: z.strictObject({
      hours: z.number().positive(),
      gpu: z.strictObject({
        model: z.string().min(1),
        memoryGB: z.number().int().positive(),
        count: z.number().int().positive(),
        accept: z
          .array(z.string().min(1))
          .optional()
          .describe('Other GPUs preflight accepts (e.g. "NVIDIA H200" for a runner acceptance test); never for leaderboard runs'),
      }),
    }),
    baseModels: z.array(BaseModel).min(1),
    benchmarks: z.array(Benchmark).min(1),
    baselines: z.strictObject({
      zeroShot: z.record(HfRepoId, ScoresByBenchmark).describe('Zero-shot scores of every base and instruct model'),
      fewShot: z.record(HfRepoId, ScoresByBenchmark).optional(),
    }),
    weights: WeightRule,
    penalty: PenaltyPolicy,
    network: NetworkPolicy,
  })
  .superRefine((def, ctx) => {
    const seen = new Set<string>();
    def.benchmarks.forEach((b, i) => {
      if (seen.has(b.id))
        ctx.addIssue({ code: 'custom', path: ['benchmarks', i, 'id'], message: `duplicate benchmark id "${b.id}"` });
      seen.add(b.id);
    });
    const needed = def.baseModels.flatMap((m) => [m.id, m.instruct.id]);
    for (const modelId of needed) {
      const row = def.baselines.zeroShot[modelId];
      if (!row) {
        ctx.addIssue({ code: 'custom', path: ['baselines', 'zeroShot'], message: `no zero-shot baseline for ${modelId}` });
        continue;
      }
      for (const b of def.benchmarks) {
        if (row[b.id] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['baselines', 'zeroShot', modelId],
            message: `missing zero-shot score for benchmark "${b.id}"`,
          });
      }
    }
  });

export type BaseModel = z.infer<typeof BaseModel>;
export type Benchmark = z.infer<typeof Benchmark>;
export type BenchmarkDefinition = z.infer<typeof BenchmarkDefinition>;
export type PenaltyReason = z.infer<typeof PenaltyReason>;
export type EvaluationSpec = z.infer<typeof EvaluationSpec>;
export type RetryRung = z.infer<typeof RetryRung>;
