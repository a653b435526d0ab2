import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 300000,
    hookTimeout: 300000,
    reporters: ["default", "./test/summary-reporter.ts"],
    pool: "forks",
    // one worker per core, not vitest's cores-1: most tests wait on a spawned emulator or native run, so on a
    // 2-core CI machine the default single worker left a core idle much of the time
    maxWorkers: Math.max(2, availableParallelism()),
    globalSetup: ["./test/global-tmp.ts"],
  },
});
