import { capacityPlan, type Demand, demandOf, poissonArrivals, seededRandom, simulateQueue } from '@ptb/core';
import { loadDefinition } from '@ptb/core/files';
import { describe, expect, test } from 'vitest';

const demand = (id: string, cells: number, hours = 10): Demand => ({
  submissionId: id,
  cells,
  hoursPerCell: hours,
  gpuHoursPerCell: hours,
  gpusPerCell: 1,
});

describe('capacity plan', () => {
  test('one v1 submission of 3 runs: 84 cells, 840 GPU-hours', () => {
    const d = demandOf(loadDefinition('v1'), 'x', 3);
    expect(d.cells).toBe(84);
    const on8 = capacityPlan([d], 8, 2);
    expect(on8).toMatchObject({ cells: 84, gpuHours: 840, cost: 1680, waves: 11, makespanHours: 110 });
    expect(capacityPlan([d], 64)).toMatchObject({ waves: 2, makespanHours: 20 });
    expect(capacityPlan([d], 256)).toMatchObject({ waves: 1, makespanHours: 10 });
  });

  test('overhead lengthens every cell', () => {
    const d = demandOf(loadDefinition('v1'), 'x', 1, 0.5);
    expect(capacityPlan([d], 28)).toMatchObject({ cells: 28, waves: 1, makespanHours: 10.5, gpuHours: 28 * 10.5 });
  });

  test('several queued submissions share the waves', () => {
    expect(capacityPlan([demand('a', 5), demand('b', 4)], 4)).toMatchObject({ cells: 9, waves: 3, makespanHours: 30 });
  });

  test('a fleet smaller than a cell is refused', () => {
    expect(() => capacityPlan([{ ...demand('a', 1), gpusPerCell: 2 }], 1)).toThrow(/needs 2 GPUs/);
    expect(() => capacityPlan([demand('a', 1)], 0)).toThrow(/at least one GPU/);
  });
});

describe('queue simulation (hand-checked)', () => {
  test('two submissions at once on two GPUs: the second waits for the first', () => {
    const sim = simulateQueue(
      [
        { at: 0, demand: demand('a', 2) },
        { at: 0, demand: demand('b', 2) },
      ],
      2,
    );
    expect(sim.outcomes.map((o) => [o.submissionId, o.startedAt, o.finishedAt, o.waitHours])).toEqual([
      ['a', 0, 10, 0],
      ['b', 10, 20, 10],
    ]);
    expect(sim.meanWaitHours).toBe(5);
    expect(sim.meanTurnaroundHours).toBe(15);
    expect(sim.utilisation).toBe(1);
  });

  test('an idle gap lowers utilisation', () => {
    // a: 1 cell 0-10 on one of two slots; b arrives at 30, runs 30-40. Busy 20 of 2 x 40.
    const sim = simulateQueue(
      [
        { at: 0, demand: demand('a', 1) },
        { at: 30, demand: demand('b', 1) },
      ],
      2,
    );
    expect(sim.meanWaitHours).toBe(0);
    expect(sim.endHours).toBe(40);
    expect(sim.utilisation).toBe(0.25);
  });

  test('cells of one submission spread over free slots; a late arrival takes the first free one', () => {
    // slots: a takes both (0-10, 0-10) plus a third cell 10-20; b at 5 starts at 10 on the other slot.
    const sim = simulateQueue(
      [
        { at: 0, demand: demand('a', 3) },
        { at: 5, demand: demand('b', 1) },
      ],
      2,
    );
    expect(sim.outcomes[1]).toMatchObject({ startedAt: 10, finishedAt: 20, waitHours: 5, turnaroundHours: 15 });
    expect(sim.outcomes[0]?.finishedAt).toBe(20);
  });

  test('seeded arrivals are repeatable and average the requested rate', () => {
    expect(poissonArrivals(5, 2, demand('x', 1), 7)).toEqual(poissonArrivals(5, 2, demand('x', 1), 7));
    const many = poissonArrivals(2001, 2, demand('x', 1), 3);
    const weeks = (many.at(-1)?.at ?? 0) / 168;
    expect(2000 / weeks).toBeGreaterThan(1.8);
    expect(2000 / weeks).toBeLessThan(2.2);
    const r = seededRandom(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});
