import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Child processes (bin/evergreend.mjs, fixtures) run dist: build it first.
    globalSetup: ['test/build-package.ts'],
    // Tests spawn daemons and push bulk transfers: a bound, not a speed assertion.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
