import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs the pure core with no servers; `integration` starts the real
// servers once (test/harness/global-setup.ts) and shares them with every integration file.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{operator,sidecar,crds,bench,test/unit,scripts}/**/*.test.ts'],
          exclude: ['node_modules/**', 'test/integration/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The servers are shared; files run one at a time so two files never race on the
          // same cluster-scoped objects and a 2-core machine is not oversubscribed.
          fileParallelism: false,
        },
      },
    ],
  },
});
