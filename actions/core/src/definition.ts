import type { BaseModel, Benchmark, BenchmarkDefinition } from './schemas/definition.ts';
import { mean } from './statistics.ts';

export type Weights = Readonly<Record<string, number>>;

/** A benchmark definition with everything derived from its data (weights) computed once. */
export interface ResolvedDefinition extends BenchmarkDefinition {
  weights: BenchmarkDefinition['weights'] & { values: Weights };
}

/**
 * Mean zero-shot score of the base models and of their instruct counterparts on one
 * benchmark (NaN where the definition lacks a baseline; a validated one never does).
 */
export function baselineMeans(
  def: BenchmarkDefinition,
  benchmarkId: string,
  models: readonly BaseModel[] = def.baseModels,
): { base: number; instruct: number } {
  const zs = def.baselines.zeroShot;
  return {
    base: mean(models.map((m) => zs[m.id]?.[benchmarkId] ?? Number.NaN)),
    instruct: mean(models.map((m) => zs[m.instruct.id]?.[benchmarkId] ?? Number.NaN)),
  };
}

/**
 * The published rule: weight_b is proportional to 1 / (mean instruct - mean base) over the
 * model pairs, so benchmarks where post-training moves the score little count more.
 */
export function computeWeights(def: BenchmarkDefinition): Weights {
  const raw: Record<string, number> = {};
  for (const b of def.benchmarks) {
    const { base, instruct } = baselineMeans(def, b.id);
    const gap = instruct - base;
    if (!(gap > 0))
      throw new Error(
        `benchmark "${b.id}": instruct models do not beat base models on average (gap ${gap}); the weight rule needs a positive gap`,
      );
    raw[b.id] = 1 / gap;
  }
  const total = Object.values(raw).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v / total]));
}

export function resolveDefinition(def: BenchmarkDefinition): ResolvedDefinition {
  return { ...def, weights: { ...def.weights, values: computeWeights(def) } };
}

export interface MatrixCell {
  baseModel: BaseModel;
  benchmark: Benchmark;
}

/** Every (base model, benchmark) pair a run of an agent must fill. */
export function taskMatrix(def: BenchmarkDefinition): MatrixCell[] {
  return def.baseModels.flatMap((baseModel) => def.benchmarks.map((benchmark) => ({ baseModel, benchmark })));
}

export function zeroShotBaseline(def: BenchmarkDefinition, modelId: string, benchmarkId: string): number {
  const value = def.baselines.zeroShot[modelId]?.[benchmarkId];
  if (value === undefined)
    throw new Error(`definition ${def.version} has no zero-shot baseline for ${modelId} on ${benchmarkId}`);
  return value;
}

export function findBaseModel(def: BenchmarkDefinition, idOrKey: string): BaseModel | undefined {
  const needle = idOrKey.toLowerCase();
  return def.baseModels.find((m) => m.id.toLowerCase() === needle || m.key.toLowerCase() === needle);
}
