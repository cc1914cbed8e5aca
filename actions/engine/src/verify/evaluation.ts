import type { Benchmark, EvaluationSpec } from '@ptb/core';
import { INSIDE } from '../sandbox/spec.ts';

/** The benchmark's evaluation, or the default: the Inspect task of the same name run with vLLM. */
export function evaluationOf(benchmark: Benchmark): EvaluationSpec {
  return benchmark.evaluation ?? { runner: 'inspect', task: `inspect_evals/${benchmark.id}` };
}

export interface EvaluationCall {
  /** Samples to score; null for the full test set. */
  limit: number | null;
  seed: number;
}

/**
 * The verification command inside the evaluation sandbox. Decoding settings (max tokens,
 * temperature, top-p) come from the benchmark definition and are passed explicitly, so a
 * generation_config.json in the final model cannot change them.
 */
export function evaluationArgv(benchmark: Benchmark, call: EvaluationCall): string[] {
  const spec = evaluationOf(benchmark);
  const e = benchmark.eval;
  if (spec.runner === 'command') {
    if (!spec.command) throw new Error(`benchmark ${benchmark.id}: evaluation runner "command" needs a command`);
    const values: Record<string, string> = {
      model: INSIDE.model,
      evaluator: INSIDE.evaluator,
      logDir: INSIDE.logs,
      limit: String(call.limit ?? -1),
      seed: String(call.seed),
      maxTokens: String(e.maxTokens),
      temperature: String(e.temperature),
    };
    return spec.command.map((part) =>
      part.replace(/\{(\w+)\}/g, (whole, name: string) => {
        const v = values[name];
        if (v === undefined) throw new Error(`benchmark ${benchmark.id}: unknown placeholder ${whole} in the evaluation command`);
        return v;
      }),
    );
  }
  const argv = ['inspect', 'eval', spec.task ?? `inspect_evals/${benchmark.id}`, '--model', `vllm/${INSIDE.model}`];
  argv.push('--log-dir', INSIDE.logs, '--log-format', 'json', '--seed', String(call.seed));
  argv.push('--max-tokens', String(e.maxTokens), '--temperature', String(e.temperature));
  if (e.topP !== undefined) argv.push('--top-p', String(e.topP));
  if (e.epochs > 1) argv.push('--epochs', String(e.epochs));
  if (call.limit !== null) argv.push('--limit', String(call.limit));
  // Generation settings of the model folder are ignored: the harness's values above rule.
  argv.push('-M', 'generation_config=vllm');
  return argv;
}

/** Seeds the final verification runs: the definition's list, or the cell's seed. */
export const verificationSeeds = (benchmark: Benchmark, cellSeed: number): number[] =>
  evaluationOf(benchmark).seeds ?? [cellSeed];
