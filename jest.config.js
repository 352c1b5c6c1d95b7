/** Two projects: unit tests beside their sources (no network), integration tests
 *  under test/integration (real Redis, clamd, c-icap, s3rver). */
const moduleNameMapper = {
  '^@avfleet/config$': '<rootDir>/packages/config/src/index.ts',
  '^@avfleet/scanners$': '<rootDir>/packages/scanners/src/index.ts',
  '^@avfleet/core$': '<rootDir>/packages/core/src/index.ts',
  '^@avfleet/producer$': '<rootDir>/apps/producer/src/index.ts',
  '^@avfleet/worker$': '<rootDir>/apps/worker/src/index.ts',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.check.json' }],
};
module.exports = {
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/apps/*/src/**/*.test.ts', '<rootDir>/apps/*/test/**/*.test.ts', '<rootDir>/test/docs/**/*.test.ts', '<rootDir>/test/corpus/**/*.test.ts', '<rootDir>/benchmarks/src/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/integration/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
      testTimeout: 60000,
    },
  ],
};
