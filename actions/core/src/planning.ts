import type { BenchmarkDefinition } from './schemas/definition.ts';
import { mean } from './statistics.ts';

/** What one submission asks of the fleet: cells, each one GPU slot for the budget plus overhead. */
export interface Demand {
  submissionId: string;
  cells: number;
  gpuHoursPerCell: number;
  /** Wall hours one cell holds its GPUs: the budget plus preflight and verification. */
  hoursPerCell: number;
  gpusPerCell: number;
}

export function demandOf(def: BenchmarkDefinition, submissionId: string, runs: number, overheadHours = 0): Demand {
  const cells = def.baseModels.length * def.benchmarks.length * runs;
  const hoursPerCell = def.budget.hours + overheadHours;
  return {
    submissionId,
    cells,
    gpuHoursPerCell: hoursPerCell * def.budget.gpu.count,
    hoursPerCell,
    gpusPerCell: def.budget.gpu.count,
  };
}

export interface CapacityPlan {
  gpus: number;
  cells: number;
  gpuHours: number;
  cost: number | null;
  /** Hours from start to the last cell's end when all demands are queued at once. */
  makespanHours: number;
  /** Cells that run side by side. */
  slots: number;
  waves: number;
}

/**
 * All demands queued at once on `gpus` GPUs. Cells of one benchmark definition last the
 * same (the budget is a hard limit, so the worst case is the plan), which makes list
 * scheduling optimal: the makespan is the number of waves times the cell duration.
 */
export function capacityPlan(demands: readonly Demand[], gpus: number, pricePerGpuHour?: number): CapacityPlan {
  if (!Number.isInteger(gpus) || gpus < 1) throw new Error(`the fleet needs at least one GPU (got ${gpus})`);
  const cells = demands.reduce((n, d) => n + d.cells, 0);
  const gpuHours = demands.reduce((n, d) => n + d.cells * d.gpuHoursPerCell, 0);
  const gpusPerCell = Math.max(1, ...demands.map((d) => d.gpusPerCell));
  const slots = Math.floor(gpus / gpusPerCell);
  if (slots < 1) throw new Error(`a cell needs ${gpusPerCell} GPUs, the fleet has ${gpus}`);
  const hours = Math.max(0, ...demands.map((d) => d.hoursPerCell));
  const waves = Math.ceil(cells / slots);
  return {
    gpus,
    cells,
    gpuHours,
    cost: pricePerGpuHour === undefined ? null : gpuHours * pricePerGpuHour,
    makespanHours: waves * hours,
    slots,
    waves,
  };
}

export interface Arrival {
  /** Hours since the start of the simulation. */
  at: number;
  demand: Demand;
}

export interface QueueOutcome {
  submissionId: string;
  arrivedAt: number;
  /** When its first cell started. */
  startedAt: number;
  /** When its last cell ended. */
  finishedAt: number;
  /** startedAt - arrivedAt. */
  waitHours: number;
  turnaroundHours: number;
}

export interface QueueSimulation {
  outcomes: QueueOutcome[];
  meanWaitHours: number;
  meanTurnaroundHours: number;
  maxTurnaroundHours: number;
  /** Busy GPU-hours over available GPU-hours from the first arrival to the last end. */
  utilisation: number;
  endHours: number;
}

/**
 * First come, first served over a fleet of one-GPU slots, as GitHub's job queue behaves:
 * every cell of an earlier submission is dispatched before any cell of a later one.
 */
export function simulateQueue(arrivals: readonly Arrival[], slots: number): QueueSimulation {
  if (!Number.isInteger(slots) || slots < 1) throw new Error(`the fleet needs at least one slot (got ${slots})`);
  const free = Array.from({ length: slots }, () => 0);
  const ordered = [...arrivals].sort((a, b) => a.at - b.at);
  let busy = 0;
  const outcomes = ordered.map(({ at, demand }) => {
    let startedAt = Number.POSITIVE_INFINITY;
    let finishedAt = at;
    for (let c = 0; c < demand.cells; c++) {
      // The slot that frees up first takes the next cell (ties: lowest index).
      let best = 0;
      for (let i = 1; i < slots; i++) if ((free[i] ?? 0) < (free[best] ?? 0)) best = i;
      const start = Math.max(at, free[best] ?? 0);
      const end = start + demand.hoursPerCell;
      free[best] = end;
      busy += demand.hoursPerCell;
      startedAt = Math.min(startedAt, start);
      finishedAt = Math.max(finishedAt, end);
    }
    if (demand.cells === 0) startedAt = at;
    return {
      submissionId: demand.submissionId,
      arrivedAt: at,
      startedAt,
      finishedAt,
      waitHours: startedAt - at,
      turnaroundHours: finishedAt - at,
    };
  });
  const first = ordered[0]?.at ?? 0;
  const endHours = Math.max(first, ...outcomes.map((o) => o.finishedAt));
  const span = endHours - first;
  const meanOrZero = (xs: number[]) => (xs.length === 0 ? 0 : mean(xs));
  return {
    outcomes,
    meanWaitHours: meanOrZero(outcomes.map((o) => o.waitHours)),
    meanTurnaroundHours: meanOrZero(outcomes.map((o) => o.turnaroundHours)),
    maxTurnaroundHours: Math.max(0, ...outcomes.map((o) => o.turnaroundHours)),
    utilisation: span > 0 ? busy / (span * slots) : 0,
    endHours,
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so a simulation is repeatable from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson arrivals: `count` submissions at `perWeek` on average, each with the same demand. */
export function poissonArrivals(count: number, perWeek: number, demand: Omit<Demand, 'submissionId'>, seed = 1): Arrival[] {
  const random = seededRandom(seed);
  const meanGap = (7 * 24) / perWeek;
  let t = 0;
  return Array.from({ length: count }, (_, i) => {
    if (i > 0) t += -Math.log(1 - random()) * meanGap;
    return { at: t, demand: { ...demand, submissionId: `submission-${i + 1}` } };
  });
}
