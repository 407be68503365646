import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The child program in test/fixtures imports dist: build it first.
    globalSetup: ['test/build-package.ts'],
    // A bound for the socket tests (the fuzz run sends 10 000 frames), not a speed assertion.
    testTimeout: 30_000,
  },
});
