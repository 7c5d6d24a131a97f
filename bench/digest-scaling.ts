/**
 * Is the digest linear in the store? Builds the city-sized store (200 units, 2,000 measures, 5,000 indicators,
 * 100,000 reports) at 1×, 2× and 4× and prints the supervisor digest and all unit digests' build time, with the ratio
 * of each doubling (linear ≈ 2.0).
 *
 * The machine is shared, so a figure is the fastest of `reps` builds (a pause is not the digest's cost), and the
 * scales take turns: each round builds 1×, 2× and 4× once, after one untimed round (cold caches, compilation). Timed
 * one scale after the other, as before, a burst of other work landing on one scale's builds moved a doubling's ratio
 * anywhere between 1.1× and 2.5× from run to run. The median is printed too, to show the spread. Each build starts
 * after a full garbage collection: a build paid for whatever garbage the builds before it left (a major collection of
 * 150–330 ms landed on one build or another, at any scale), which is not that build's cost; its own collections
 * still count. Nine rounds, not five: with five, one run in about thirteen (2026-12-07 05:17 UTC) found no quiet moment
 * for the 2× scale's supervisor digest (fastest 114 ms against 47 ms at 1×, median 167 against 79) while the bare
 * HTTP route of the same run halved.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { openSqlite } from "../src/store/sqlite.js";
import { buildCityStore } from "./city-store.js";
import { isMain } from "./main.js";

export interface DigestScale {
  scale: number;
  units: number;
  reports: number;
  /** Supervisor digest build, ms: the fastest, and the median, of the timed builds. */
  supervisor: number;
  supervisorMedian: number;
  /** Every unit's digest, ms in all: the fastest, and the median. */
  perUnit: number;
  perUnitMedian: number;
}

/** V8's full collection, made callable without starting node with --expose-gc. */
function fullCollection(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runDigestScaling(scales = [1, 2, 4], reps = 9): Promise<DigestScale[]> {
  const now = new Date("2026-11-30T01:00:00Z");
  const dir = mkdtempSync(join(tmpdir(), "duban-digest-scaling-"));
  const stores = [];
  for (const scale of scales) {
    const path = join(dir, `x${scale}.sqlite`);
    const size = buildCityStore(path, { scale });
    const store = openSqlite({ path, synchronous: "NORMAL" });
    const units = await store.db.selectFrom("units").selectAll().execute();
    stores.push({ scale, size, store, units, supervisor: [] as number[], perUnit: [] as number[] });
  }
  const collect = fullCollection();
  for (let round = -1; round < reps; round++) {
    for (const s of stores) {
      collect();
      let t0 = performance.now();
      await buildSupervisorDigest(s.store.db, now);
      const supervisor = performance.now() - t0;
      collect();
      t0 = performance.now();
      for (const u of s.units) await buildUnitDigest(s.store.db, u, now);
      const perUnit = performance.now() - t0;
      if (round < 0) continue;
      s.supervisor.push(supervisor);
      s.perUnit.push(perUnit);
    }
  }
  for (const s of stores) await s.store.close();
  rmSync(dir, { recursive: true, force: true });
  return stores.map((s) => ({
    scale: s.scale,
    units: s.size.UNITS,
    reports: s.size.REPORTS,
    supervisor: Math.min(...s.supervisor),
    supervisorMedian: median(s.supervisor),
    perUnit: Math.min(...s.perUnit),
    perUnitMedian: median(s.perUnit),
  }));
}

if (isMain(import.meta.url)) {
  const loadAtStart = loadavg()[0]!;
  const reps = Number(process.env["REPS"] ?? 9);
  const results = await runDigestScaling([1, 2, 4], reps);
  console.log(`digest scaling (one run, fastest of ${reps} builds each with the scales taking turns, median in brackets; load average ${loadAtStart.toFixed(1)} at start; linear = each doubling ≈ 2.0×, 4× ≈ 4.0× of 1×)`);
  for (const [k, r] of results.entries()) {
    const prev = results[k - 1];
    const ratio = (a: number, b?: number) => (b ? ` (${(a / b).toFixed(2)}× the previous)` : "");
    console.log(
      `  ${r.scale}× (${r.units} units, ${r.reports.toLocaleString("en")} reports): supervisor digest ${r.supervisor.toFixed(0)} ms [${r.supervisorMedian.toFixed(0)}]${ratio(r.supervisor, prev?.supervisor)}; all unit digests ${r.perUnit.toFixed(0)} ms [${r.perUnitMedian.toFixed(0)}]${ratio(r.perUnit, prev?.perUnit)}`,
    );
  }
  const [one, , four] = results;
  console.log(
    `  4× vs 1×: supervisor digest ${(four!.supervisor / one!.supervisor).toFixed(2)}×, all unit digests ${(four!.perUnit / one!.perUnit).toFixed(2)}×; supervisor digest at 4× ${four!.supervisor <= 1000 ? "within" : "over"} 1 s`,
  );
}
