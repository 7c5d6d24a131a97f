/**
 * Does a /我的任务 cost grow with history? The same city-sized store with 10k, 100k and 1M reported values; the
 * per-event time of building one unit's task list (the command's store work) and its first card page, averaged over
 * 200 units (the fastest of three passes), in one run. Goal: flat (1M within 1.5× of 10k).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { myTasksPages } from "../cards/my-tasks.js";
import { unitTasks } from "../src/domain/tasks.js";
import { openSqlite } from "../src/store/sqlite.js";
import { buildCityStore } from "./city-store.js";
import { isMain } from "./main.js";

export interface HistoryResult {
  reports: number;
  /** Store work (unitTasks) per event, ms. */
  storeMs: number;
  /** Store work plus cutting the pages and building page 1 of the card, ms. */
  eventMs: number;
}

export async function runHistory(sizes = [10_000, 100_000, 1_000_000]): Promise<HistoryResult[]> {
  const now = new Date("2026-11-30T01:00:00Z");
  const dir = mkdtempSync(join(tmpdir(), "duban-history-"));
  const results: HistoryResult[] = [];
  for (const reports of sizes) {
    const path = join(dir, `h${reports}.sqlite`);
    buildCityStore(path, { reports });
    const { db, close } = openSqlite({ path });
    const units = await db.selectFrom("units").selectAll().execute();
    for (const u of units.slice(0, 20)) await unitTasks(db, u, now); // warm the page cache and statement cache
    // The fastest of three passes over the 200 units: the machine is shared, and a pause is not the command's cost.
    let storeMs = Infinity;
    let eventMs = Infinity;
    for (let k = 0; k < 3; k++) {
      let t0 = performance.now();
      for (const u of units) await unitTasks(db, u, now);
      storeMs = Math.min(storeMs, (performance.now() - t0) / units.length);
      t0 = performance.now();
      for (const u of units) myTasksPages({ unit: u, tasks: await unitTasks(db, u, now), today: "2026-11-30" }).card(1);
      eventMs = Math.min(eventMs, (performance.now() - t0) / units.length);
    }
    results.push({ reports, storeMs, eventMs });
    await close();
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}

if (isMain(import.meta.url)) {
  const results = await runHistory((process.env["SIZES"] ?? "10000,100000,1000000").split(",").map(Number));
  console.log("/我的任务 per event vs history (one run, 200 units each): store work, and store work + card");
  for (const r of results) {
    console.log(`  ${r.reports.toLocaleString("en").padStart(9)} reports: store ${r.storeMs.toFixed(2)} ms (${(r.storeMs / results[0]!.storeMs).toFixed(2)}×), with the card ${r.eventMs.toFixed(2)} ms (${(r.eventMs / results[0]!.eventMs).toFixed(2)}× the smallest)`);
  }
}
