/**
 * Digest build time on a synthetic store (1,000 units × 5,000 indicators × 50,000 reports), and the time to send
 * 1,000 chats through the outbox worker relative to the floor Lark's rate limit sets (1,000 / 50 per s = 20 s).
 * The send uses a virtual clock (sleep advances it), so the pacing is measured without waiting 20 real seconds.
 */
import { fixedClock } from "../src/clock.js";
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { enqueueWeeklyDigests } from "../src/digest/send.js";
import { noDirectory } from "../src/lark/client.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
import { openSqlite } from "../src/store/sqlite.js";

const UNITS = Number(process.env["UNITS"] ?? 1000), INDICATORS = 5000, REPORTS = 50_000;
const { db, raw, close } = openSqlite({ path: ":memory:", synchronous: "NORMAL" });
const now = new Date("2026-11-30T01:00:00Z");
raw.transaction(() => {
  raw.prepare("INSERT INTO plans (id, jurisdiction, title, source_file, source_hash, imported_at) VALUES (1, 'J', 'P', 'f', 'h', 'x')").run();
  const u = raw.prepare("INSERT INTO units (id, jurisdiction, name, kind) VALUES (?, 'J', ?, 'unit')");
  const t = raw.prepare("INSERT INTO tasks (id, plan_id, code, ordinal, text) VALUES (?, 1, ?, ?, '任务')");
  const tu = raw.prepare("INSERT INTO task_units (task_id, unit_id, role, ordinal, printed_name) VALUES (?, ?, ?, ?, 'x')");
  const i = raw.prepare("INSERT INTO indicators (id, task_id, ordinal, key, name, unit_of_measure, cmp, target, target_year, quote, period) VALUES (?, ?, 1, ?, ?, '%', '>=', 80, 2027, 'q', 'quarter')");
  const r = raw.prepare("INSERT INTO reports (indicator_id, unit_id, period, value, reporter_open_id, reported_at) VALUES (?, ?, ?, ?, 'ou', ?)");
  const c = raw.prepare("INSERT INTO chats (chat_id, kind, unit_id, bound_at) VALUES (?, 'unit', ?, 'x')");
  for (let k = 1; k <= UNITS; k++) { u.run(k, `单位${k}`); c.run(`oc_${k}`, k); }
  for (let k = 1; k <= INDICATORS; k++) {
    t.run(k, String(k), k);
    const lead = ((k - 1) % UNITS) + 1;
    tu.run(k, lead, "lead", 1);
    tu.run(k, (lead % UNITS) + 1, "support", 2);
    i.run(k, k, `k${k}`, `指标${k}`);
  }
  const periods = ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"];
  for (let k = 0; k < REPORTS; k++) {
    const ind = (k % INDICATORS) + 1;
    r.run(ind, ((ind - 1) % UNITS) + 1, periods[Math.floor(k / INDICATORS) % periods.length], 50 + (k % 40), "2026-11-2" + (k % 9) + "T00:00:00Z");
  }
})();

let t0 = performance.now();
const sup = await buildSupervisorDigest(db, now);
const supMs = performance.now() - t0;
t0 = performance.now();
const units = await db.selectFrom("units").selectAll().execute();
for (const u of units) await buildUnitDigest(db, u, now);
const unitsMs = performance.now() - t0;

const clock = fixedClock(now);
const services = { db, clock, messenger: new OutboxMessenger(db, clock), directory: noDirectory, log: { info() {}, warn() {}, error() {} }, adminOpenIds: [] };
t0 = performance.now();
await enqueueWeeklyDigests(services, now);
const enqueueMs = performance.now() - t0;
const virtualStart = clock.now().getTime();
const worker = createOutboxWorker({ db, clock, sleep: async (ms) => clock.advance(ms), log: services.log, send: async () => "om" });
t0 = performance.now();
await worker.drainOnce();
const wallSend = performance.now() - t0;
const paced = (clock.now().getTime() - virtualStart) / 1000;
// Floor: 50/s, and past 1,000 messages also 1,000/min.
const floor = UNITS <= 1000 ? UNITS / 50 : 60 * Math.floor((UNITS - 1) / 1000) + ((UNITS - 1) % 1000 + 1) / 50;
console.log(`digest bench: ${UNITS} units × ${INDICATORS} indicators × ${REPORTS} reports`);
console.log(`  supervisor digest (${sup.rows.length} units ranked): ${supMs.toFixed(0)} ms`);
console.log(`  all ${UNITS} unit digests: ${unitsMs.toFixed(0)} ms (${(unitsMs / UNITS).toFixed(1)} ms per unit)`);
console.log(`  queue ${UNITS} chat digests (build + outbox insert): ${enqueueMs.toFixed(0)} ms`);
console.log(`  send ${UNITS} chats: paced to ${paced.toFixed(1)} s of rate-limit time vs the floor ${floor.toFixed(1)} s → ratio ${(paced / floor).toFixed(2)}; worker overhead ${wallSend.toFixed(0)} ms wall`);
await close();
