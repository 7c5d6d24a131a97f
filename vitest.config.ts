import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: a timeout only guards against a hang; on a loaded 2-core machine a real start takes tens of seconds.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // 2-core machines: a couple of workers keep loopback servers and SQLite files from starving each other.
    maxWorkers: 2,
  },
});
