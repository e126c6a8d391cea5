import { defineConfig } from 'vitest/config';

// Two projects: unit tests are pure and fast; integration tests talk to the real stack
// (Kafka, Apicurio, Redis, chDB) that test/integration/globalSetup.ts makes sure is up.
// chDB allows one engine per process, so integration files run in forked workers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'pipelines/**/*.test.ts'],
          environment: 'node',
          // A hang guard, not a speed target: some engine tests fold a week of windows and take
          // seconds when the two cores are shared; vitest's 5 s default made them fail at random.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          globalSetup: ['test/integration/globalSetup.ts'],
          setupFiles: ['test/integration/setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
