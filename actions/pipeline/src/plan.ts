import { type AgentManifest, type BenchmarkDefinition, capacityPlan, demandOf } from '@ptb/core';
import type { PipelineConfig } from './config.ts';

/** What approving a submission will cost and how long it will take, shown before anyone approves. */
export interface RunPlan {
  submissionId: string;
  definitionVersion: string;
  seeds: number;
  baseModels: number;
  benchmarks: number;
  cellsPerRun: number;
  cells: number;
  budgetHours: number;
  gpusPerCell: number;
  gpuHours: number;
  runnerLabels: string[];
  fleetSize: number;
  concurrent: number;
  waves: number;
  wallHours: number;
  environment: string;
}

/** Pure: the same capacity plan as `ptb plan`, on the GPUs this evaluation may use at once. */
export function runPlan(def: BenchmarkDefinition, manifest: AgentManifest, config: PipelineConfig, cellsToRun?: number): RunPlan {
  const cellsPerRun = def.baseModels.length * def.benchmarks.length;
  const demand = demandOf(def, manifest.id, manifest.runs, config.overheadHours);
  const cells = cellsToRun ?? demand.cells;
  // The dispatcher keeps at most fleetSize cells in flight over all PRs: this is the best case, with the fleet to itself.
  const concurrent = Math.max(1, Math.min(config.fleetSize, cells));
  const capacity = capacityPlan([{ ...demand, cells }], concurrent * def.budget.gpu.count);
  return {
    submissionId: manifest.id,
    definitionVersion: def.version,
    seeds: manifest.runs,
    baseModels: def.baseModels.length,
    benchmarks: def.benchmarks.length,
    cellsPerRun,
    cells,
    budgetHours: def.budget.hours,
    gpusPerCell: def.budget.gpu.count,
    gpuHours: cells * def.budget.hours * def.budget.gpu.count,
    runnerLabels: config.runnerLabels,
    fleetSize: config.fleetSize,
    concurrent,
    waves: capacity.waves,
    wallHours: capacity.makespanHours,
    environment: config.environment,
  };
}
