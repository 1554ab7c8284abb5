import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The JSON report lets .ci/run print a one-line summary of the run.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    testTimeout: 60_000,
    // Setup hooks run child processes too (the ISA suites), which a busy machine or a sanitizer slows.
    hookTimeout: 60_000,
  },
});
