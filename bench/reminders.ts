/**
 * Reminder planning, per unit (as it was: about eight statements for each unit) against the batched plan (a fixed
 * number of chunked statements), on the city-sized store at 1× and 2× (200 and 400 units, 5,000 and 10,000
 * indicators). Prints wall time and statements for each, and checks both plan the same reminders.
 *
 *   npx tsx bench/reminders.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KyselyPlugin } from "kysely";
import { DEFAULT_REMINDER_SETTINGS, planReminders, unitReminderItems } from "../src/reminders/plan.js";
import { openSqlite } from "../src/store/sqlite.js";
import { buildCityStore } from "./city-store.js";

// Friday 26 March 2027, 10:00 China time: the 5-days-before stage of the first quarter, which nobody has reported yet.
const now = new Date("2027-03-26T02:00:00Z");
const s = DEFAULT_REMINDER_SETTINGS;
const dir = mkdtempSync(join(tmpdir(), "duban-reminders-bench-"));

let statements = 0;
const counter: KyselyPlugin = {
  transformQuery: (a) => (statements++, a.node),
  transformResult: async (a) => a.result,
};

async function measure(scale: number) {
  const path = join(dir, `x${scale}.sqlite`);
  const size = buildCityStore(path, { scale });
  const store = openSqlite({ path, synchronous: "NORMAL" });
  const db = store.db.withPlugin(counter);
  const units = await db.selectFrom("units").selectAll().where("kind", "=", "unit").orderBy("id").execute();
  await planReminders(db, now, s); // warm the page cache and the statement cache alike for both paths
  statements = 0;
  let t0 = performance.now();
  const perUnit = [];
  for (const u of units) {
    const items = await unitReminderItems(db, u, now, s);
    if (items.length) perUnit.push({ unit: u, items });
  }
  const perUnitMs = performance.now() - t0;
  const perUnitStatements = statements;
  statements = 0;
  t0 = performance.now();
  const batched = await planReminders(db, now, s);
  const batchedMs = performance.now() - t0;
  const batchedStatements = statements;
  await store.close();
  if (JSON.stringify(batched) !== JSON.stringify(perUnit)) throw new Error(`scale ${scale}: the batched plan differs from the per-unit one`);
  return { scale, units: size.UNITS, indicators: size.INDICATORS, perUnitMs, perUnitStatements, batchedMs, batchedStatements, planned: batched.reduce((a, p) => a + p.items.length, 0) };
}

const results = [];
for (const scale of [1, 2]) results.push(await measure(scale));
rmSync(dir, { recursive: true, force: true });
console.log("reminder planning, per unit vs batched (one run each; same plan checked)");
for (const r of results) {
  console.log(
    `  ${r.units} units, ${r.indicators.toLocaleString("en")} indicators, ${r.planned} items planned: ` +
      `per unit ${r.perUnitMs.toFixed(0)} ms / ${r.perUnitStatements} statements (${(r.perUnitMs / r.units).toFixed(1)} ms per unit); ` +
      `batched ${r.batchedMs.toFixed(0)} ms / ${r.batchedStatements} statements (${(r.perUnitMs / r.batchedMs).toFixed(1)}× faster)`,
  );
}
