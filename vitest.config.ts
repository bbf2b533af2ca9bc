import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/helpers/local-env.ts'],
          globalSetup: ['test/helpers/build-cli.ts'],
          // One LocalStack and one DynamoDB Local serve every file: run files one at a time so
          // that throughput-sensitive tests do not starve each other on a 2-core machine.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          globalSetup: ['test/helpers/build-cli.ts'],
          // Each file runs `serverless package` (esbuild over five handlers): give it room.
          testTimeout: 150_000,
          hookTimeout: 150_000,
        },
      },
    ],
  },
});
