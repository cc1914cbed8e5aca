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
  temperature: z.number().min(0).max(2),
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
export const EvaluationSpec = z.strictObject({
  runner: z
    .enum(['inspect', 'command'])
    .describe('inspect: `inspect eval <task>` with vLLM; command: the argv below, which must write an Inspect log'),
  task: z.string().min(1).optional().describe('Inspect task, e.g. "inspect_evals/gsm8k" (runner: inspect)'),
  command: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'argv template (runner: command); placeholders {model} {evaluator} {logDir} {limit} {seed} {maxTokens} {temperature}',
    ),
  bundle: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .optional()
    .describe('Evaluator files shipped with the harness (pristine copy mounted read-only as {evaluator})'),
  seeds: z.array(z.number().int().min(0)).min(1).optional().describe('Verification seeds; the score is their mean'),
  timeoutSeconds: z.number().int().positive().optional().describe('Wall-clock limit of one verification run'),
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
      diskGB: z
        .number()
        .positive()
        .optional()
        .describe('Disk the agent may fill (workspace, its /tmp and home) before writes fail; default 200'),
      memoryGB: z
        .number()
        .positive()
        .optional()
        .describe("Host memory the agent's sandbox may use; default: the host's memory less a reserve"),
      pids: z.number().int().positive().optional().describe('Processes and threads the sandbox may run at once; default 4096'),
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
