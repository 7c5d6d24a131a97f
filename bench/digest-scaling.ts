/**
 * Is the digest linear in the store? Builds the city-sized store (200 units, 2,000 measures, 5,000 indicators,
 * 100,000 reports) at 1×, 2× and 4× in one run and prints the supervisor digest and all unit digests' build time,
 * with the ratio of each doubling (linear ≈ 2.0); each the fastest of three builds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { openSqlite } from "../src/store/sqlite.js";
import { buildCityStore } from "./city-store.js";
import { isMain } from "./main.js";

export interface DigestScale {
  scale: number;
  units: number;
  reports: number;
  /** Supervisor digest build, ms. */
  supervisor: number;
  /** Every unit's digest, ms in all. */
  perUnit: number;
}

/** Each build is timed `reps` times and the fastest kept: the machine is shared, and a pause is not the digest's cost. */
export async function runDigestScaling(scales = [1, 2, 4], reps = 3): Promise<DigestScale[]> {
  const now = new Date("2026-11-30T01:00:00Z");
  const dir = mkdtempSync(join(tmpdir(), "duban-digest-scaling-"));
  const results: DigestScale[] = [];
  for (const scale of scales) {
    const path = join(dir, `x${scale}.sqlite`);
    const size = buildCityStore(path, { scale });
    const { db, close } = openSqlite({ path, synchronous: "NORMAL" });
    const units = await db.selectFrom("units").selectAll().execute();
    let supervisor = Infinity;
    let perUnit = Infinity;
    for (let k = 0; k < reps; k++) {
      let t0 = performance.now();
      await buildSupervisorDigest(db, now);
      supervisor = Math.min(supervisor, performance.now() - t0);
      t0 = performance.now();
      for (const u of units) await buildUnitDigest(db, u, now);
      perUnit = Math.min(perUnit, performance.now() - t0);
    }
    await close();
    results.push({ scale, supervisor, perUnit, reports: size.REPORTS, units: size.UNITS });
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}

if (isMain(import.meta.url)) {
  const loadAtStart = loadavg()[0]!;
  const results = await runDigestScaling();
  console.log(`digest scaling (one run, fastest of 3 builds each, load average ${loadAtStart.toFixed(1)} at start; linear = each doubling ≈ 2.0×, 4× ≈ 4.0× of 1×)`);
  for (const [k, r] of results.entries()) {
    const prev = results[k - 1];
    const ratio = (a: number, b?: number) => (b ? ` (${(a / b).toFixed(2)}× the previous)` : "");
    console.log(
      `  ${r.scale}× (${r.units} units, ${r.reports.toLocaleString("en")} reports): supervisor digest ${r.supervisor.toFixed(0)} ms${ratio(r.supervisor, prev?.supervisor)}; all unit digests ${r.perUnit.toFixed(0)} ms${ratio(r.perUnit, prev?.perUnit)}`,
    );
  }
  const [one, , four] = results;
  console.log(
    `  4× vs 1×: supervisor digest ${(four!.supervisor / one!.supervisor).toFixed(2)}×, all unit digests ${(four!.perUnit / one!.perUnit).toFixed(2)}×; supervisor digest at 4× ${four!.supervisor <= 1000 ? "within" : "over"} 1 s`,
  );
}
