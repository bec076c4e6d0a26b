import { defineConfig } from 'vitest/config';

// Two suites: unit tests sit beside the code they test and need no service; integration tests
// start the real services they need (registries, buildkitd, cosign) through integration/harness.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['cmd/**/*.test.ts', 'pkg/**/*.test.ts', 'hack/**/*.test.ts', 'bench/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['integration/**/*.test.ts'],
          // Services start in beforeAll; a cold buildkitd start takes a few seconds.
          hookTimeout: 120_000,
          testTimeout: 300_000,
          // One service set per file; files run one after another so that two suites never
          // compete for the machine's two cores and their timings stay readable.
          fileParallelism: false,
        },
      },
    ],
  },
});
