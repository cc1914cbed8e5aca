import { loadDefinition } from '@ptb/core/files';
import { expect, test } from 'vitest';

test('v1 loads', () => {
  expect(loadDefinition('v1').benchmarks).toHaveLength(7);
});
