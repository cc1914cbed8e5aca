import { z } from 'zod';
import { DefinitionVersion, HfRepoId, IsoDate, PenaltyReason, Slug } from './common.ts';

// Shared with the manifest and result schemas, which need no more of the definition's.
export { DefinitionVersion, PenaltyReason };

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
  modelArgs: z
    .record(z.string().regex(/^[a-z_]+$/), z.string())
    .optional()
    .describe('Further model arguments of the provider (`-M name=value`), e.g. do_sample=false for greedy hf decoding'),
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

/** A rule's name in findings and logs: lower-case words joined by dashes. */
const EgressRuleId = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
  message: 'must be a rule id: lower-case letters and digits in words joined by single dashes, e.g. "gsm8k-test-set"',
});

const HostName = z.string().regex(/^(?:\*\.)?[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*$/, {
  message: 'must be a host name in lower case, such as "huggingface.co" (or "*.example.org" for its subdomains)',
});

const UrlPattern = z.string().regex(/^(?:[a-z]+:\/\/)?[^\s/]+(?:\/\S*)?$/i, {
  message: 'must be a URL pattern "host[/path]" without spaces, e.g. "huggingface.co/datasets/openai/gsm8k/*test*"',
});

/** A name matched token by token ("Qwen3-1.7B" is qwen 3 1 7 b), so spelling variants match too. */
const ArtefactName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  message: 'must be a name of letters, digits, ".", "_" or "-", e.g. "Qwen3-4B" or "human-eval"',
});

const GithubRepo = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/, {
  message: 'must be a GitHub repository "owner/name", e.g. "openai/human-eval"',
});

/** A Hugging Face dataset id; the hub's old ids have no organisation ("gsm8k"). */
const HfDatasetId = z.string().regex(/^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  message: 'must be a Hugging Face dataset id like "openai/gsm8k"',
});

const Reason = z.string().min(1).describe('Why the rule exists, in words: shown in every finding it produces');

/**
 * Hosts a rule treats as a service (their route shapes: hub repositories, the datasets-server
 * query API, GitHub repositories). Defaults are the real services; a test definition names a
 * local stand-in instead.
 */
const ServiceHosts = z
  .strictObject({
    huggingface: z.array(HostName).min(1).optional().describe('Hugging Face hub (default huggingface.co, hf.co)'),
    datasetsServer: z
      .array(HostName)
      .min(1)
      .optional()
      .describe('Hugging Face dataset viewer API (default datasets-server.huggingface.co)'),
    github: z
      .array(HostName)
      .min(1)
      .optional()
      .describe('GitHub (default github.com, raw.githubusercontent.com, codeload.github.com, api.github.com)'),
  })
  .describe('Stand-in hosts for the services this rule knows the routes of; default: the real services');

/** The simple rule of v1: one URL pattern. */
export const UrlDenyRule = z.strictObject({
  artefact: z.literal('url').optional().describe('Optional: a rule with a pattern is a URL rule'),
  id: EgressRuleId.optional().describe('Name in findings (default: the pattern)'),
  pattern: UrlPattern.describe(
    'host[/path]: `*` matches any run of characters; a path matches at a segment boundary and is compared with the normalised path',
  ),
  reason: Reason,
});

/** Every repository named after an instruct model of a family, wherever it is and however it is re-packed. */
export const ModelFamilyDenyRule = z.strictObject({
  artefact: z.literal('model-family'),
  id: EgressRuleId,
  reason: Reason,
  families: z
    .array(
      z.strictObject({
        name: ArtefactName.describe(
          'The family name as published, e.g. "Qwen3-4B": a URL path segment holding it (any host, any organisation, any suffix such as -GGUF, -AWQ, -Instruct-2507) is refused',
        ),
        base: z
          .array(ArtefactName)
          .default([])
          .describe('Words that, right after the name, mark a base checkpoint, which stays allowed (e.g. "Base", "pt")'),
      }),
    )
    .min(1),
});

/** Every copy of a test set the definition names: hub datasets, their exports and viewer API, GitHub, PyPI, elsewhere. */
export const TestSetDenyRule = z.strictObject({
  artefact: z.literal('test-set'),
  id: EgressRuleId,
  benchmark: Slug.describe(
    'The benchmark whose test set this is (it may be one an earlier version had: its test set stays off limits)',
  ),
  reason: Reason,
  names: z
    .array(ArtefactName)
    .min(1)
    .describe(
      'Names of the data set: a URL path segment holding one (a hub dataset or repository under any organisation, a GitHub repository or folder, a PyPI package or its files) is a copy and is refused; so is a datasets-server query for it',
    ),
  splitsOnly: z
    .strictObject({
      datasets: z.array(HfDatasetId).min(1).describe("The data set's own hub repositories"),
      splits: z.array(ArtefactName).min(1).describe('The held-out splits (e.g. "test")'),
    })
    .optional()
    .describe(
      "In the data set's own hub repositories only these splits are refused (files, parquet exports, the viewer and datasets-server), so its train split stays usable",
    ),
  github: z
    .array(GithubRepo)
    .default([])
    .describe('GitHub repositories that hold the data under another name (refused whole: a clone is a copy)'),
  urls: z.array(UrlPattern).default([]).describe('Other places the data is published (URL patterns)'),
  services: ServiceHosts.optional(),
});

/** The leaderboard's own data: results, traces and the code that runs the benchmark. */
export const LeaderboardDataDenyRule = z.strictObject({
  artefact: z.literal('leaderboard-data'),
  id: EgressRuleId,
  reason: Reason,
  github: z.array(GithubRepo).default([]).describe('Repositories (with their GitHub Pages site) refused whole'),
  names: z.array(ArtefactName).default([]).describe('Names whose copies anywhere are refused (any URL path segment)'),
  urls: z.array(UrlPattern).default([]).describe('Other places the data is published (URL patterns)'),
  deployment: z
    .boolean()
    .default(true)
    .describe(
      "Also the repository the deployment runs from, which a definition cannot know: PTB_LEADERBOARD_REPOSITORIES (comma-separated owner/name), else GitHub Actions' GITHUB_REPOSITORY",
    ),
  services: ServiceHosts.optional(),
});

export const EgressDenyRule = z.discriminatedUnion(
  'artefact',
  [UrlDenyRule, ModelFamilyDenyRule, TestSetDenyRule, LeaderboardDataDenyRule],
  {
    error: () => 'must be a deny rule: { pattern, reason }, or one with artefact: model-family, test-set or leaderboard-data',
  },
);

export const NetworkPolicy = z.strictObject({
  allow: z.array(z.string().min(1)).describe('Host patterns the agent may reach through the egress proxy'),
  deny: z
    .array(EgressDenyRule)
    .describe(
      'Refused even on an allowed host, judged on the normalised URL: instruct checkpoints and their variants, test sets and their copies, our own data',
    ),
});

/** Words of a name, as the egress decision reads them: "Qwen3-1.7B" is qwen 3 1 7 b. */
const nameWords = (s: string): string[] => s.toLowerCase().match(/[a-z]+|[0-9]+/g) ?? [];

type DefinitionInput = {
  baseModels: { id: string; instruct: { id: string } }[];
  benchmarks: { id: string }[];
  network: { allow: string[]; deny: EgressDenyRule[] };
};

/**
 * Deny rules that refer to the rest of the definition: unique ids and, when
 * the agent may reach the network at all, a family rule refusing every instruct checkpoint
 * (and allowing its base) and a test-set rule for every benchmark.
 */
function checkNetwork(def: DefinitionInput, ctx: z.RefinementCtx): void {
  const ids = new Map<string, number>();
  def.network.deny.forEach((rule, i) => {
    const id = rule.id ?? ('pattern' in rule ? rule.pattern : '');
    if (ids.has(id))
      ctx.addIssue({ code: 'custom', path: ['network', 'deny', i, 'id'], message: `duplicate deny rule id "${id}"` });
    ids.set(id, i);
  });
  if (def.network.allow.length === 0) return;
  const families = def.network.deny.flatMap((r) => (r.artefact === 'model-family' ? r.families : []));
  const after = (id: string, family: string): string | null | undefined => {
    const words = nameWords(id.split('/').at(-1) ?? '');
    const stem = nameWords(family);
    if (stem.length === 0 || !stem.every((w, k) => words[k] === w)) return undefined;
    return words[stem.length] ?? null;
  };
  def.baseModels.forEach((m, i) => {
    const covers = families.some((f) => {
      const instructNext = after(m.instruct.id, f.name);
      const baseNext = after(m.id, f.name);
      const markers = (f.base ?? []).map((b) => nameWords(b)[0]);
      return (
        instructNext !== undefined && !markers.includes(instructNext ?? undefined) && markers.includes(baseNext ?? undefined)
      );
    });
    if (!covers)
      ctx.addIssue({
        code: 'custom',
        path: ['baseModels', i, 'instruct', 'id'],
        message: `no model-family deny rule refuses "${m.instruct.id}" while allowing "${m.id}": add a family { name, base } to network.deny`,
      });
  });
  def.benchmarks.forEach((b, i) => {
    if (!def.network.deny.some((r) => r.artefact === 'test-set' && r.benchmark === b.id))
      ctx.addIssue({
        code: 'custom',
        path: ['benchmarks', i, 'id'],
        message: `the agent may use the network, but no test-set deny rule names benchmark "${b.id}": add one to network.deny`,
      });
  });
}

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
    checkNetwork(def, ctx);
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
export type EgressDenyRule = z.infer<typeof EgressDenyRule>;
export type UrlDenyRule = z.infer<typeof UrlDenyRule>;
export type ModelFamilyDenyRule = z.infer<typeof ModelFamilyDenyRule>;
export type TestSetDenyRule = z.infer<typeof TestSetDenyRule>;
export type LeaderboardDataDenyRule = z.infer<typeof LeaderboardDataDenyRule>;
export type NetworkPolicy = z.infer<typeof NetworkPolicy>;
export type Benchmark = z.infer<typeof Benchmark>;
export type BenchmarkDefinition = z.infer<typeof BenchmarkDefinition>;
export type EvaluationSpec = z.infer<typeof EvaluationSpec>;
export type RetryRung = z.infer<typeof RetryRung>;
