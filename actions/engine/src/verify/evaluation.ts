import type { Benchmark, EvaluationSpec, RetryRung } from '@ptb/core';
import { INSIDE } from '../sandbox/spec.ts';

/** The benchmark's evaluation, or the default: the Inspect task of the same name run with vLLM. */
export function evaluationOf(benchmark: Benchmark): EvaluationSpec {
  return benchmark.evaluation ?? { runner: 'inspect', task: `inspect_evals/${benchmark.id}` };
}

export interface EvaluationCall {
  /** Samples to score; null for the full test set. */
  limit: number | null;
  /** Random seed of generation (passed to the model server). */
  seed: number;
  /**
   * When set with a limit, the evaluator scores `limit` items drawn at random with this
   * seed instead of the first ones, so repeated `evaluate --limit k` calls are no oracle
   * on a fixed subset. Null: the test set's own order.
   */
  shuffleSeed: number | null;
  /** Max tokens of this attempt (a rung of the retry ladder); default: the definition's. */
  maxTokens?: number;
  /** Family of the base model, which picks the fixed chat template. */
  family?: string;
}

/** Attempts in order, each with its max tokens: the definition's ladder, or one attempt. */
export function retryLadder(benchmark: Benchmark): number[] {
  const rungs: RetryRung[] = evaluationOf(benchmark).retries ?? [{ maxTokens: benchmark.eval.maxTokens, attempts: 1 }];
  return rungs.flatMap((r) => Array.from({ length: r.attempts }, () => r.maxTokens));
}

/** The chat template file (in the data cache's templates/) for a family, or null when the benchmark uses none. */
export function chatTemplateFor(benchmark: Benchmark, family: string | undefined): string | null {
  const templates = evaluationOf(benchmark).chatTemplates;
  if (!templates) return null;
  const file = family ? templates[family] : undefined;
  if (!file)
    throw new Error(
      `benchmark ${benchmark.id}: no chat template for model family "${family ?? '(none)'}" (known: ${Object.keys(templates).join(', ')})`,
    );
  return file;
}

/** The Inspect task reference: inspect_evals tasks by registry name, ours by file inside the evaluator mount. */
export function inspectTaskRef(spec: EvaluationSpec, benchmarkId: string): string {
  const task = spec.task ?? `inspect_evals/${benchmarkId}`;
  const ours = /^ptb_evals\/([a-z0-9_]+)$/.exec(task);
  return ours ? `${INSIDE.evaluator}/ptb_evals/${ours[1]}/${ours[1]}.py@${ours[1]}` : task;
}

/**
 * The verification command inside the evaluation sandbox. Max tokens and the fixed chat
 * template come from the definition; sampling is the server's default (as in the original:
 * vLLM applies the model's generation_config.json) unless the definition sets a temperature.
 */
export function evaluationArgv(benchmark: Benchmark, call: EvaluationCall): string[] {
  const spec = evaluationOf(benchmark);
  const e = benchmark.eval;
  const maxTokens = call.maxTokens ?? e.maxTokens;
  if (spec.runner === 'command') {
    if (!spec.command) throw new Error(`benchmark ${benchmark.id}: evaluation runner "command" needs a command`);
    const values: Record<string, string> = {
      model: INSIDE.model,
      evaluator: INSIDE.evaluator,
      logDir: INSIDE.logs,
      limit: String(call.limit ?? -1),
      seed: String(call.seed),
      shuffleSeed: call.shuffleSeed === null ? 'none' : String(call.shuffleSeed),
      maxTokens: String(maxTokens),
      temperature: String(e.temperature ?? 0),
    };
    return spec.command.map((part) =>
      part.replace(/\{(\w+)\}/g, (whole, name: string) => {
        const v = values[name];
        if (v === undefined) throw new Error(`benchmark ${benchmark.id}: unknown placeholder ${whole} in the evaluation command`);
        return v;
      }),
    );
  }
  const provider = spec.provider ?? 'vllm';
  const argv = ['inspect', 'eval', inspectTaskRef(spec, benchmark.id), '--model', `${provider}/${INSIDE.model}`];
  const template = chatTemplateFor(benchmark, call.family);
  if (template) argv.push('-M', `chat_template=${INSIDE.data}/templates/${template}`);
  if (spec.gpuMemoryUtilization !== undefined) argv.push('-M', `gpu_memory_utilization=${spec.gpuMemoryUtilization}`);
  if (spec.toolCallParser) argv.push('-M', 'enable_auto_tool_choice=true', '-M', `tool_call_parser=${spec.toolCallParser}`);
  for (const [k, v] of Object.entries(spec.modelArgs ?? {})) argv.push('-M', `${k}=${v}`);
  for (const [k, v] of Object.entries(spec.taskArgs ?? {})) argv.push('-T', `${k}=${v}`);
  argv.push('--max-tokens', String(maxTokens));
  if (e.temperature !== undefined) argv.push('--temperature', String(e.temperature));
  if (e.topP !== undefined) argv.push('--top-p', String(e.topP));
  if (e.epochs > 1) argv.push('--epochs', String(e.epochs));
  if (spec.maxConnections !== undefined) argv.push('--max-connections', String(spec.maxConnections));
  // As the original: model calls may take as long as the attempt's own limit allows.
  argv.push('--timeout', '18000000', '--attempt-timeout', '18000000');
  argv.push('--log-dir', INSIDE.logs, '--log-format', 'json', '--display', 'plain', '--seed', String(call.seed));
  if (call.limit !== null) {
    argv.push('--limit', String(call.limit));
    if (call.shuffleSeed !== null) argv.push('--sample-shuffle', String(call.shuffleSeed));
  }
  return argv;
}

/** Seeds the final verification runs: the definition's list, or the cell's seed. */
export const verificationSeeds = (benchmark: Benchmark, cellSeed: number): number[] =>
  evaluationOf(benchmark).seeds ?? [cellSeed];
