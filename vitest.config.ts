import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['actions/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts', 'site/test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
