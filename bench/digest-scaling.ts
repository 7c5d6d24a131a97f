/**
 * Is the digest linear in the store? Builds the city-sized store (200 units, 2,000 measures, 5,000 indicators,
 * 100,000 reports) at 1×, 2× and 4× in one run and prints the supervisor digest and all unit digests' build time,
 * with the ratio of each doubling (linear ≈ 2.0).
 */
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { openSqlite } from "../src/store/sqlite.js";

const now = new Date("2026-11-30T01:00:00Z");

async function measure(scale: number) {
  const UNITS = 200 * scale, TASKS = 2000 * scale, INDICATORS = 5000 * scale, REPORTS = 100_000 * scale;
  const { db, raw, close } = openSqlite({ path: ":memory:", synchronous: "NORMAL" });
  raw.transaction(() => {
    raw.prepare("INSERT INTO plans (id, jurisdiction, title, source_file, source_hash, imported_at) VALUES (1, 'J', 'P', 'f', 'h', 'x')").run();
    const u = raw.prepare("INSERT INTO units (id, jurisdiction, name, kind) VALUES (?, 'J', ?, 'unit')");
    const t = raw.prepare("INSERT INTO tasks (id, plan_id, code, ordinal, text) VALUES (?, 1, ?, ?, '任务')");
    const tu = raw.prepare("INSERT INTO task_units (task_id, unit_id, role, ordinal, printed_name) VALUES (?, ?, ?, ?, 'x')");
    const i = raw.prepare("INSERT INTO indicators (id, task_id, ordinal, key, name, unit_of_measure, cmp, target, target_year, quote, period) VALUES (?, ?, 1, ?, ?, '%', '>=', 80, 2027, 'q', 'quarter')");
    const r = raw.prepare("INSERT INTO reports (indicator_id, unit_id, period, value, reporter_open_id, reported_at) VALUES (?, ?, ?, ?, 'ou', ?)");
    for (let k = 1; k <= UNITS; k++) u.run(k, `单位${k}`);
    for (let k = 1; k <= TASKS; k++) {
      t.run(k, String(k), k);
      const lead = ((k - 1) % UNITS) + 1;
      tu.run(k, lead, "lead", 1);
      tu.run(k, (lead % UNITS) + 1, "support", 2);
    }
    for (let k = 1; k <= INDICATORS; k++) i.run(k, ((k - 1) % TASKS) + 1, `k${k}`, `指标${k}`);
    const periods = ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"];
    for (let k = 0; k < REPORTS; k++) {
      const ind = (k % INDICATORS) + 1;
      const lead = ((((ind - 1) % TASKS) + 1 - 1) % UNITS) + 1;
      r.run(ind, lead, periods[Math.floor(k / INDICATORS) % periods.length], 50 + (k % 40), `2026-11-2${k % 9}T00:00:00Z`);
    }
  })();
  let t0 = performance.now();
  await buildSupervisorDigest(db, now);
  const supervisor = performance.now() - t0;
  const units = await db.selectFrom("units").selectAll().execute();
  t0 = performance.now();
  for (const u of units) await buildUnitDigest(db, u, now);
  const perUnit = performance.now() - t0;
  await close();
  return { scale, supervisor, perUnit, reports: REPORTS, units: UNITS };
}

const results = [];
for (const scale of [1, 2, 4]) results.push(await measure(scale));
console.log("digest scaling (one run; linear = each doubling ≈ 2.0×)");
for (const [k, r] of results.entries()) {
  const prev = results[k - 1];
  const ratio = (a: number, b?: number) => (b ? ` (${(a / b).toFixed(2)}× the previous)` : "");
  console.log(
    `  ${r.scale}× (${r.units} units, ${r.reports.toLocaleString("en")} reports): supervisor digest ${r.supervisor.toFixed(0)} ms${ratio(r.supervisor, prev?.supervisor)}; all unit digests ${r.perUnit.toFixed(0)} ms${ratio(r.perUnit, prev?.perUnit)}`,
  );
}
