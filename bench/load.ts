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
import BetterSqlite3 from "better-sqlite3";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { startRuntime } from "../src/node/runtime.js";
import { migrateSqlite } from "../src/store/sqlite.js";

const DURATION = Number(process.env["DURATION"] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "duban-load-"));
const path = join(dir, "load.sqlite");
const raw = new BetterSqlite3(path);
raw.pragma("journal_mode = WAL");
migrateSqlite(raw);
const PLANS = 20, TASKS = 2000, UNITS = 200, INDICATORS = 5000, REPORTS = 100_000;
raw.transaction(() => {
  for (let p = 1; p <= PLANS; p++) raw.prepare("INSERT INTO plans (id, jurisdiction, title, source_file, source_hash, imported_at) VALUES (?, 'J', ?, 'f', 'h', 'x')").run(p, `方案${p}`);
  for (let u = 1; u <= UNITS; u++) {
    raw.prepare("INSERT INTO units (id, jurisdiction, name, kind) VALUES (?, 'J', ?, 'unit')").run(u, `单位${u}`);
    raw.prepare("INSERT INTO members (open_id, unit_id, role, created_at) VALUES (?, ?, 'member', 'x')").run(`ou_u${u}`, u);
  }
  for (let t = 1; t <= TASKS; t++) {
    raw.prepare("INSERT INTO tasks (id, plan_id, code, ordinal, text) VALUES (?, ?, ?, ?, '措施正文')").run(t, ((t - 1) % PLANS) + 1, String(t), t);
    raw.prepare("INSERT INTO task_units (task_id, unit_id, role, ordinal, printed_name) VALUES (?, ?, 'lead', 1, 'x')").run(t, ((t - 1) % UNITS) + 1);
    raw.prepare("INSERT INTO task_units (task_id, unit_id, role, ordinal, printed_name) VALUES (?, ?, 'support', 2, 'x')").run(t, (t % UNITS) + 1);
  }
  const ins = raw.prepare("INSERT INTO indicators (id, task_id, ordinal, key, name, unit_of_measure, cmp, target, target_year, quote, period) VALUES (?, ?, 1, ?, ?, '%', '>=', 80, 2027, '原文', 'quarter')");
  for (let i = 1; i <= INDICATORS; i++) ins.run(i, ((i - 1) % TASKS) + 1, `k${i}`, `指标${i}`);
  const rep = raw.prepare("INSERT INTO reports (indicator_id, unit_id, period, value, reporter_open_id, reported_at) VALUES (?, ?, ?, ?, 'ou', '2026-11-01T00:00:00Z')");
  const periods = ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"];
  for (let r = 0; r < REPORTS; r++) {
    const ind = (r % INDICATORS) + 1;
    rep.run(ind, ((((ind - 1) % TASKS) + 1 - 1) % UNITS) + 1, periods[Math.floor(r / INDICATORS) % 5], 50 + (r % 40));
  }
})();
raw.close();

const rt = await startRuntime({ env: {}, databasePath: path, port: 0, seedsDir: null, log: { info() {}, warn() {}, error() {} } });
const bare = new Hono().post("/bare", async (c) => c.json({ ok: (await c.req.text()).length }));
const bs = serve({ fetch: bare.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise((r) => bs.once("listening", r));
const bareUrl = `http://127.0.0.1:${(bs.address() as AddressInfo).port}/bare`;

let n = 0;
const myTasks = () => {
  const k = ++n, u = (k % UNITS) + 1;
  return JSON.stringify({ schema: "2.0", header: { event_id: `lt_${k}`, event_type: "im.message.receive_v1" }, event: { sender: { sender_id: { open_id: `ou_u${u}` }, sender_type: "user" }, message: { message_id: `om_lt_${k}`, chat_id: `oc_${u}`, chat_type: "p2p", message_type: "text", content: JSON.stringify({ text: "/我的任务" }) } } });
};
const report = () => {
  const k = ++n, ind = (k % INDICATORS) + 1, task = ((ind - 1) % TASKS) + 1, u = ((task - 1) % UNITS) + 1;
  return JSON.stringify({ schema: "2.0", header: { event_id: `lc_${k}`, event_type: "card.action.trigger" }, event: { operator: { open_id: `ou_u${u}` }, token: "c", action: { value: { action: "submit_report", unit_id: u, issued_at: new Date().toISOString(), nonce: `n${k}` }, form_value: { indicator: String(ind), value: String(60 + (k % 30)), period: "2026Q4" } }, context: { open_message_id: "om", open_chat_id: "oc" } } });
};
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
console.log(line("bare Hono route (again)", base2, base2));
console.log(line("card report callbacks", cards, base2));
await rt.close();
bs.close();
rmSync(dir, { recursive: true, force: true });
