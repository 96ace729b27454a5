// Tests are transpiled by SWC (fast, no type checking); `npm run typecheck` runs tsc separately.
const swc = [
  "@swc/jest",
  {
    jsc: { parser: { syntax: "typescript" }, target: "es2024", keepClassNames: true },
    module: { type: "es6" },
    sourceMaps: "inline",
  },
];

const shared = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: { "^.+\\.ts$": swc },
  // Sources import siblings as "./x.js" (Node ESM); map those to the .ts files.
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
};

/** @type {import('jest').Config} */
export default {
  // The leak reporter records every test file's output for the scan in each project's global teardown.
  reporters: ["default", "<rootDir>/test/support/jest/leak-reporter.js"],
  projects: [
    {
      ...shared,
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/jest/unit-global-setup.js",
      globalTeardown: "<rootDir>/test/support/jest/unit-global-teardown.js",
    },
    {
      ...shared,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/jest/global-setup.js",
      globalTeardown: "<rootDir>/test/support/jest/global-teardown.js",
      setupFilesAfterEnv: ["<rootDir>/test/support/jest/cluster-test-timeouts.js"],
    },
    {
      // On a real node (needs root); run in band: one node, one kube-scheduler at a time.
      ...shared,
      displayName: "e2e",
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/jest/e2e-global-setup.js",
      globalTeardown: "<rootDir>/test/support/jest/e2e-global-teardown.js",
      setupFilesAfterEnv: ["<rootDir>/test/support/jest/cluster-test-timeouts.js"],
    },
  ],
};
