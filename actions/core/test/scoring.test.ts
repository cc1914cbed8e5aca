import { applyPenaltyPolicy, buildLeaderboard, competitionRanks, computeWeights, sampleStd } from '@ptb/core';
import { describe, expect, test } from 'vitest';
import { agent, cell, run, tinyDefinition, violation } from './builders.ts';

const def = tinyDefinition();
const close = (a: number | null | undefined, b: number, eps = 1e-12) => expect(Math.abs((a ?? Number.NaN) - b)).toBeLessThan(eps);

describe('statistics', () => {
  test('sample std uses n - 1', () => {
    close(sampleStd([1, 2, 3, 4]), Math.sqrt(5 / 3));
    expect(sampleStd([0.5])).toBeNull();
  });

  test('competition ranks with ties', () => {
    expect(competitionRanks([0.3, 0.5, 0.5, 0.1])).toEqual([3, 1, 1, 4]);
    expect(competitionRanks([0.2, 0.2 + 1e-15])).toEqual([1, 1]);
  });
});

test('weights follow 1 / (instruct mean - base mean), normalised', () => {
  const w = computeWeights(def);
  close(w.alpha, 1 / 3);
  close(w.beta, 2 / 3);
});

test('a benchmark on which instruct models do not beat base models is refused', () => {
  const bad = structuredClone(tinyDefinition());
  bad.baselines.zeroShot['org/a-it'] = { alpha: 0.1, beta: 0.3 };
  bad.baselines.zeroShot['org/b-it'] = { alpha: 0.1, beta: 0.4 };
  expect(() => computeWeights(bad)).toThrow(/alpha.*positive gap/);
});

describe('penalty policy', () => {
  test.each([
    ['no result', undefined, 'missing'],
    ['missing model', cell('x', 1, 'org/b-base', 'beta', null), 'missing'],
    [
      'broken model',
      cell('x', 1, 'org/b-base', 'beta', null, { status: 'broken', statusDetail: 'config.json missing' }),
      'broken',
    ],
    ['integrity violation', cell('x', 1, 'org/b-base', 'beta', 0.9, { integrity: [violation()] }), 'flagged'],
  ] as const)('%s scores the base zero-shot baseline and says why', (_name, c, reason) => {
    const outcome = applyPenaltyPolicy(def, 'org/b-base', 'beta', c);
    expect(outcome.value).toBe(0.2);
    expect(outcome.penalty?.reason).toBe(reason);
    expect(outcome.penalty?.detail.length).toBeGreaterThan(5);
  });

  test('a warning does not penalise; the measured score counts', () => {
    const c = cell('x', 1, 'org/b-base', 'beta', 0.9, { integrity: [{ ...violation(), severity: 'warning' }] });
    expect(applyPenaltyPolicy(def, 'org/b-base', 'beta', c)).toEqual({ value: 0.9, penalty: null });
  });

  test('a policy that does not list "flagged" keeps the measured score', () => {
    const lenient = tinyDefinition({
      penalty: { replacement: 'base-zero-shot', appliesTo: ['missing', 'broken'], explanation: 't' },
    });
    const c = cell('x', 1, 'org/b-base', 'beta', 0.9, { integrity: [violation()] });
    expect(applyPenaltyPolicy(lenient, 'org/b-base', 'beta', c).value).toBe(0.9);
  });

  test('the flagged detail names the check', () => {
    const c = cell('x', 1, 'org/a-base', 'alpha', 0.9, { integrity: [violation('model-identity')] });
    expect(applyPenaltyPolicy(def, 'org/a-base', 'alpha', c).penalty?.detail).toMatch(/^model-identity: /);
  });
});

describe('leaderboard', () => {
  // Seed 1: alpha mean (0.4+0.2)/2 = 0.3, beta mean (0.6+0.4)/2 = 0.5 -> 0.3/3 + 0.5*2/3 = 0.4333...
  // Seed 2: alpha (0.1+0.5)/2 = 0.3, beta (0.3+0.1)/2 = 0.2 -> 0.1 + 0.1333... = 0.2333...
  const two = agent('two-runs', [run('two-runs', 1, [0.4, 0.6, 0.2, 0.4]), run('two-runs', 2, [0.1, 0.3, 0.5, 0.1])]);
  // One run with a missing cell (b, beta) -> baseline 0.2: alpha (0.4+0.2)/2 = 0.3; beta (0.6+0.2)/2 = 0.4 -> 0.1 + 0.2667
  const holey = agent('holey', [run('holey', 1, [0.4, 0.6, 0.2])]);
  const tie = agent('tie', [run('tie', 1, [0.4, 0.6, 0.2, 0.2])]);
  const hidden = agent('hidden', [run('hidden', 1, [1, 1, 1, 1])], true);

  const board = buildLeaderboard(def, [two, holey, tie, hidden]);
  const r = (id: string) => board.rows.find((x) => x.submissionId === id);

  test('per-run weighted scores, mean and sample std over runs', () => {
    close(r('two-runs')?.score?.mean, (13 / 30 + 7 / 30) / 2);
    close(r('two-runs')?.score?.std, Math.sqrt(((13 / 30 - 1 / 3) ** 2 + (7 / 30 - 1 / 3) ** 2) / 1));
    expect(r('two-runs')?.score?.runs).toBe(2);
    expect(r('two-runs')?.score?.stdSource).toBe('computed');
  });

  test('per-cell mean and std over runs', () => {
    const c = r('two-runs')?.cells.find((x) => x.baseModel === 'org/a-base' && x.benchmark === 'alpha');
    close(c?.mean, 0.25);
    close(c?.std, Math.sqrt(0.045));
  });

  test('a missing cell is penalised, recorded, and counted', () => {
    close(r('holey')?.score?.mean, 0.1 + (0.4 * 2) / 3);
    const c = r('holey')?.cells.find((x) => x.baseModel === 'org/b-base' && x.benchmark === 'beta');
    expect(c?.penalties).toEqual([
      { seed: 1, reason: 'missing', detail: 'no result was recorded for this cell', measured: null, applied: 0.2 },
    ]);
    expect(r('holey')?.penalisedCells).toBe(1);
  });

  test('equal scores tie; hidden rows are not ranked', () => {
    expect(r('holey')?.rank).toBe(1);
    expect(r('tie')?.rank).toBe(1);
    expect(r('tie')?.tied).toBe(true);
    expect(r('two-runs')?.rank).toBe(3);
    expect(r('hidden')?.rank).toBeNull();
    expect(board.rows.at(-1)?.submissionId).toBe('hidden');
  });

  test('a single base model view scores that model only', () => {
    const onlyB = buildLeaderboard(def, [two, holey], 'org/b-base');
    const row = onlyB.rows.find((x) => x.submissionId === 'holey');
    // b: alpha 0.2, beta penalised to 0.2 -> 0.2/3 + 0.4/3 = 0.2
    close(row?.score?.mean, 0.2);
    close(row?.benchmarks.alpha, 0.2);
    expect(onlyB.view).toBe('org/b-base');
  });

  test('an unknown base model view is an error', () => {
    expect(() => buildLeaderboard(def, [two], 'org/nope')).toThrow(/unknown base model/);
  });

  test('time used is the mean over cells per run, then over runs', () => {
    close(r('two-runs')?.timeUsed?.meanHours, 1);
    expect(r('two-runs')?.timeUsed?.stdHours).toBe(0);
  });
});
