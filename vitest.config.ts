import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2-core machines: a couple of workers keep loopback servers and SQLite files from starving each other.
    maxWorkers: 2,
  },
});
