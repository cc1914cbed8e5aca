import { type BenchmarkDefinition, type CellResult, findBaseModel, taskMatrix } from '@ptb/core';

/** One job of the evaluate matrix: one seed of one (base model, benchmark). */
export interface CellSpec {
  /** `<base-model-key>/<benchmark>/<seed>`, what maintainers type after `/ptb retry`. */
  id: string;
  baseModel: string;
  benchmark: string;
  seed: number;
  /** Artifact names may not contain '/'. */
  artifact: string;
}

export function cellSpec(def: BenchmarkDefinition, baseModelId: string, benchmark: string, seed: number): CellSpec {
  const model = findBaseModel(def, baseModelId);
  if (!model) throw new Error(`definition ${def.version} has no base model "${baseModelId}"`);
  const id = `${model.key}/${benchmark}/${seed}`;
  return { id, baseModel: model.id, benchmark, seed, artifact: `cell-${model.key}-${benchmark}-${seed}` };
}

/** Every cell of every run (seed) of a submission, in a stable order. */
export function allCells(def: BenchmarkDefinition, runs: number): CellSpec[] {
  const out: CellSpec[] = [];
  for (let seed = 1; seed <= runs; seed++)
    for (const { baseModel, benchmark } of taskMatrix(def)) out.push(cellSpec(def, baseModel.id, benchmark.id, seed));
  return out;
}

/** Resolves a maintainer-typed cell id; the error lists what would have been valid. */
export function findCell(def: BenchmarkDefinition, runs: number, id: string): CellSpec {
  const cells = allCells(def, runs);
  const hit = cells.find((c) => c.id.toLowerCase() === id.toLowerCase());
  if (hit) return hit;
  const models = def.baseModels.map((m) => m.key).join(', ');
  const benchmarks = def.benchmarks.map((b) => b.id).join(', ');
  throw new Error(
    `no cell "${id}": write <base-model-key>/<benchmark>/<seed> with a base model of ${models}, a benchmark of ${benchmarks} and a seed from 1 to ${runs}`,
  );
}

export const cellOf = (def: BenchmarkDefinition, r: CellResult): CellSpec => cellSpec(def, r.baseModel, r.benchmark, r.seed);
