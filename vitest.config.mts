import { defineConfig } from 'vitest/config';

// Four kinds of tests, each runnable alone (npm run test:unit | test:workflow | test:integration | test:browser).
// Servers start once per run in each project's globalSetup (the time-skipping server once per
// workflow test file, see tests/helpers/temporal.ts) and are always stopped.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          globalSetup: ['tests/setup/postgres.ts'],
        },
      },
      {
        test: {
          name: 'workflow',
          include: ['tests/workflow/**/*.test.ts'],
          globalSetup: ['tests/setup/postgres.ts', 'tests/setup/bundle.ts'],
          setupFiles: ['tests/setup/quiet-sdk.ts'],
          // Each file runs its own time-skipping server (tests/helpers/temporal.ts); one file
          // at a time keeps the 2-core machine's timing honest.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/setup/postgres.ts', 'tests/setup/bundle.ts', 'tests/setup/dev-server.ts'],
          setupFiles: ['tests/setup/quiet-sdk.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'browser',
          // The command center in headless Chromium (Debian's, tests/helpers/browser.ts) against the
          // same real stack as the integration tests; screenshots land in test-results/screenshots/.
          include: ['tests/browser/**/*.test.ts'],
          globalSetup: ['tests/setup/postgres.ts', 'tests/setup/bundle.ts', 'tests/setup/dev-server.ts'],
          setupFiles: ['tests/setup/quiet-sdk.ts'],
          // As with workflow and integration, vitest then runs its files one at a time, never next to
          // theirs (one sequential group after the unit tests): a browser, a worker and the API on 2 cores.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
