import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A bound for tests that move hundreds of MiB through real sockets, not a speed assertion.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
