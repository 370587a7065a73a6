import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration tests start real coordinators, agents and workers; on 2 cores, run files one at a time.
    fileParallelism: false,
    // The suite tests the sources: bin/drover.js must not run a dist/ bundle left by `npm run build`.
    env: { DROVER_FROM_SOURCE: '1' },
  },
});
