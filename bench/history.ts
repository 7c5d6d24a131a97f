/**
 * Does a /我的任务 cost grow with history? The same city-sized store with 10k, 100k and 1M reported values; the
 * per-event time of building one unit's task list (the command's store work and card), averaged over 200 units, in
 * one run. Goal: flat (1M within 1.5× of 10k).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unitTasks } from "../src/domain/tasks.js";
import { openSqlite } from "../src/store/sqlite.js";
import { buildCityStore } from "./city-store.js";

const now = new Date("2026-11-30T01:00:00Z");
const sizes = (process.env["SIZES"] ?? "10000,100000,1000000").split(",").map(Number);
const dir = mkdtempSync(join(tmpdir(), "duban-history-"));
const results: { reports: number; ms: number }[] = [];
for (const reports of sizes) {
  const path = join(dir, `h${reports}.sqlite`);
  buildCityStore(path, { reports });
  const { db, close } = openSqlite({ path });
  const units = await db.selectFrom("units").selectAll().execute();
  for (const u of units.slice(0, 20)) await unitTasks(db, u, now); // warm the page cache and statement cache
  const t0 = performance.now();
  for (const u of units) await unitTasks(db, u, now);
  results.push({ reports, ms: (performance.now() - t0) / units.length });
  await close();
}
rmSync(dir, { recursive: true, force: true });
console.log("/我的任务 store work per event vs history (one run, 200 units each)");
for (const r of results) console.log(`  ${r.reports.toLocaleString("en").padStart(9)} reports: ${r.ms.toFixed(2)} ms per event (${(r.ms / results[0]!.ms).toFixed(2)}× the smallest)`);
