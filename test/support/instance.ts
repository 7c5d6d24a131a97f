import { startRuntime } from "../../src/node/runtime.js";

/**
 * One bot instance as its own process (for tests that SIGKILL it): configured by the environment like `npm start`
 * (DATABASE_URL, LARK_*), with the schedulers on; prints its address and instance id as one JSON line.
 */
const quiet = { info() {}, warn() {}, error() {} };
const rt = await startRuntime({ port: 0, seedsDir: null, scheduler: true, outboxPollMs: 100, log: quiet });
process.stdout.write(`${JSON.stringify({ url: rt.url, instanceId: rt.instanceId })}\n`);
