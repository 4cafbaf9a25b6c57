// Two projects: `unit` needs nothing but Node (in-process servers are fine);
// `stack` runs against the real Temporal dev server and vcsim, which
// test/stack/global-setup.ts starts once per run.
/** @type {import('ts-jest').JestConfigWithTsJest} */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      // Two files at a time, then the `@serial` ones alone (test/stack/runner.ts).
      runner: '<rootDir>/test/stack/runner.ts',
      testMatch: [
        '<rootDir>/test/unit/**/*.test.ts',
        '<rootDir>/test/simulator/**/*.test.ts',
        // Replays the recorded histories on the current code: needs no server.
        '<rootDir>/test/replay/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'stack',
      runner: '<rootDir>/test/stack/runner.ts',
      testMatch: [
        '<rootDir>/test/contract/**/*.test.ts',
        '<rootDir>/test/workflows/**/*.test.ts',
        '<rootDir>/test/cli/**/*.test.ts',
        '<rootDir>/test/web-ui/**/*.test.ts',
      ],
      globalSetup: '<rootDir>/test/stack/global-setup.ts',
      globalTeardown: '<rootDir>/test/stack/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'cluster',
      // A real Temporal cluster (four services on a private PostgreSQL, docs/cluster.md) and
      // vcsim, started once per run by test/cluster/global-setup.ts.
      testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
      globalSetup: '<rootDir>/test/cluster/global-setup.ts',
      globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
    },
  ],
  testTimeout: 120_000,
};
