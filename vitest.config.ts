import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (index.js) and ESM (index.mjs); Vite would pick the .mjs for our code
    // while dependencies load the .js: two realms ("another module or realm"). One copy for all.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: [
      'server/**/*.test.ts',
      'bench/**/*.test.ts',
      'db/**/*.test.ts',
      'test/**/*.test.ts',
      'app/**/*.test.ts',
      'shared/**/*.test.ts',
    ],
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    // Real Postgres, Redis and sockets: forks isolate native handles best. Two cores, two files at once.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    // Noisy shared machines: generous limits; tests wait for events, never sleep.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
