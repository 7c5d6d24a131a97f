/**
 * Load on a city-sized store: 20 plans, 2,000 measures, 200 units, 5,000 indicators, 100,000 reported values.
 * autocannon on loopback, one run: /我的任务 message events and card report callbacks through /webhook/event,
 * each against a bare Hono route measured in the same run. Local mode (unsigned loopback events, outbox only).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import autocannon from "autocannon";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { startRuntime } from "../src/node/runtime.js";
import { buildCityStore, myTasksEvent, reportEvent } from "./city-store.js";

const DURATION = Number(process.env["DURATION"] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "duban-load-"));
const path = join(dir, "load.sqlite");
const { PLANS, TASKS, UNITS, INDICATORS, REPORTS } = buildCityStore(path);

const rt = await startRuntime({ env: { DUBAN_LOCAL: "1" }, databasePath: path, port: 0, seedsDir: null, log: { info() {}, warn() {}, error() {} } });
const bare = new Hono().post("/bare", async (c) => c.json({ ok: (await c.req.text()).length }));
const bs = serve({ fetch: bare.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise((r) => bs.once("listening", r));
const bareUrl = `http://127.0.0.1:${(bs.address() as AddressInfo).port}/bare`;

let n = 0;
const myTasks = () => JSON.stringify(myTasksEvent(++n, "lt"));
const report = () => JSON.stringify(reportEvent(++n, "lc"));
async function run(url: string, body: () => string) {
  const r = await autocannon({ url, connections: 10, duration: DURATION, method: "POST", headers: { "content-type": "application/json" }, requests: [{ setupRequest: (req: any) => ({ ...req, body: body() }) }] });
  return r;
}
const line = (name: string, r: any, base: any) => `  ${name.padEnd(30)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  non-2xx ${r.non2xx}  ratio ${(r.requests.average / base.requests.average).toFixed(3)}`;
const base1 = await run(bareUrl, () => "{}");
const tasks = await run(`${rt.url}/webhook/event`, myTasks);
const t0 = performance.now();
await rt.idle();
const drainMs = performance.now() - t0;
const base2 = await run(bareUrl, () => "{}");
const cards = await run(`${rt.url}/webhook/event`, report);
console.log(`load bench: ${PLANS} plans, ${TASKS} measures, ${UNITS} units, ${INDICATORS} indicators, ${REPORTS} reports; ${DURATION}s each, 10 connections`);
console.log(line("bare Hono route", base1, base1));
console.log(line("/我的任务 events (answer)", tasks, base1));
console.log(`  …their cards built after the answer: backlog drained ${drainMs.toFixed(0)} ms after the run`);
// Answers/s counts 503s too (closed loop offers more than the work after the answer can keep up with; past the wait
// budget events are refused for Lark to deliver again): what was accepted and answered is the throughput.
const accepted = tasks.requests.total - tasks.non2xx;
const answeredPerS = accepted / (DURATION + drainMs / 1000);
console.log(`  …accepted ${accepted} of ${tasks.requests.total} (the rest 503): ${answeredPerS.toFixed(0)} commands answered/s over the run and the drain, ratio ${(answeredPerS / base1.requests.average).toFixed(4)} of bare`);
console.log(line("bare Hono route (again)", base2, base2));
console.log(line("card report callbacks", cards, base2));
await rt.close();
bs.close();
rmSync(dir, { recursive: true, force: true });
