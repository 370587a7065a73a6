import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration tests start real coordinators, agents and workers; on 2 cores, run files one at a time.
    fileParallelism: false,
  },
});
