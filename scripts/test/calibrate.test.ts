import { loadDefinition } from '@ptb/core/files';
import { describe, expect, test } from 'vitest';
import { compare, tolerance } from '../src/commands/calibrate.ts';

const V1 = loadDefinition('v1');

describe('ptb calibrate: tolerance against the published zero-shot baselines', () => {
  test('three binomial standard errors of the published score on the sample count', () => {
    // gsm8k, Qwen3-4B-Base: 0.4185 on 1319 samples -> SE 0.01358 -> tolerance 0.0407
    expect(tolerance(0.4184988627748294, 1319, false)).toBeCloseTo(
      3 * Math.sqrt((0.4184988627748294 * (1 - 0.4184988627748294)) / 1319),
      12,
    );
    // a published 0 still allows one sample's worth
    expect(tolerance(0, 30, false)).toBeCloseTo(1 / 30, 12);
    // judged benchmarks get twice the width
    expect(tolerance(0.5, 250, true)).toBeCloseTo(2 * tolerance(0.5, 250, false), 12);
  });
  test('a measured score inside the tolerance passes, outside misses, none misses', () => {
    const row = compare(V1, 'Qwen/Qwen3-4B-Base', 'gsm8k', 0.43);
    expect(row.ok).toBe(true);
    expect(compare(V1, 'Qwen/Qwen3-4B-Base', 'gsm8k', 0.5).ok).toBe(false);
    expect(compare(V1, 'Qwen/Qwen3-4B-Base', 'gsm8k', null, 'error/judge').ok).toBe(false);
    expect(() => compare(V1, 'Qwen/Qwen3-4B-Base', 'nope', 0)).toThrow(/no published zero-shot baseline/);
  });
});
