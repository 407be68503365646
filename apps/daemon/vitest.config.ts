import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The process tests run bin/evergreend.mjs, i.e. dist: build it first.
    globalSetup: ['test/build-daemon.ts'],
    // Each test spawns daemons and waits on them: a bound, not a speed assertion.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
