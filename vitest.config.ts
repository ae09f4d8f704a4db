import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each test file runs in its own process: e2e tests spawn the bundled actions and loopback servers.
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
