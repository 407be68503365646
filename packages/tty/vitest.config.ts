import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Child programs import '@evergreen/tty' by name, i.e. this package's dist.
    globalSetup: ['test/build-package.ts'],
    // A bound for tests that spawn Node under a pty, not a speed assertion.
    testTimeout: 30_000,
  },
});
