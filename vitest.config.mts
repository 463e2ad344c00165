import { defineConfig } from 'vitest/config';

// Three kinds of tests, each runnable alone (npm run test:unit | test:workflow | test:integration).
// Servers start once per run in each project's globalSetup and are always stopped.
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
          globalSetup: ['tests/setup/postgres.ts', 'tests/setup/bundle.ts', 'tests/setup/time-skipping.ts'],
          setupFiles: ['tests/setup/quiet-sdk.ts'],
          // Time skipping is global to the test server: files must not skip each other's clocks.
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
    ],
  },
});
