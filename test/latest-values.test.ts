import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestValuesByRole } from "../src/store/latest-values.js";
import { openPostgres } from "../src/store/postgres.js";
import type { Database } from "../src/store/schema.js";
import { openSqlite } from "../src/store/sqlite.js";
import { startPostgres, type TestPostgres } from "./support/postgres.js";

/**
 * What /我的任务, the digest and the 台账 show as an indicator's latest value, on SQLite and on PostgreSQL (the same
 * Kysely statement; D1 runs the SQLite text): the lead's newest period, a correction superseding within a period,
 * a report for an old period never hiding a newer one, the lead reached through a group (各街道), supporting units
 * apart.
 */
const CURRENT = { year: "2026", quarter: "2026Q4", month: "2026-12" };

// Units: 1 区卫健委 (lead of measure 1), 2 区医保局 (supports it), 3 区民政局 (supports it);
// 10 各街道 (a group leading measure 2) with members 11 解放碑街道 and 12 朝天门街道; 13 大坪街道, not a member.
async function seed(db: Kysely<Database>) {
  await db.insertInto("plans").values({ id: 1, jurisdiction: "J", title: "方案", source_file: "f", source_hash: "h", imported_at: "x" }).execute();
  const units: [number, string, "unit" | "group"][] = [
    [1, "区卫健委", "unit"], [2, "区医保局", "unit"], [3, "区民政局", "unit"],
    [10, "各街道", "group"], [11, "解放碑街道", "unit"], [12, "朝天门街道", "unit"], [13, "大坪街道", "unit"],
  ];
  await db.insertInto("units").values(units.map(([id, name, kind]) => ({ id, jurisdiction: "J", name, kind }))).execute();
  await db.insertInto("unit_group_members").values([{ group_id: 10, unit_id: 11 }, { group_id: 10, unit_id: 12 }]).execute();
  await db.insertInto("tasks").values([1, 2].map((id) => ({ id, plan_id: 1, code: String(id), ordinal: id, text: "措施" }))).execute();
  await db.insertInto("task_units").values([
    { task_id: 1, unit_id: 1, role: "lead", ordinal: 1, printed_name: "区卫健委" },
    { task_id: 1, unit_id: 2, role: "support", ordinal: 2, printed_name: "区医保局" },
    { task_id: 1, unit_id: 3, role: "support", ordinal: 3, printed_name: "区民政局" },
    { task_id: 2, unit_id: 10, role: "lead", ordinal: 1, printed_name: "各街道" },
  ]).execute();
  // Indicators 1–3 belong to measure 1 (1, 2 quarterly; 3 yearly), 4 to measure 2; 5–100 to measure 1, unreported.
  await db.insertInto("indicators").values(Array.from({ length: 100 }, (_, k) => ({
    id: k + 1, task_id: k === 3 ? 2 : 1, ordinal: k + 1, key: `k${k + 1}`, name: `指标${k + 1}`, unit_of_measure: "%",
    cmp: ">=" as const, target: 80, target_year: 2027, quote: "原文", period: k === 2 ? ("year" as const) : ("quarter" as const),
  }))).execute();
}

let minute = 0;
async function report(db: Kysely<Database>, indicator: number, unit: number, period: string, value: number) {
  minute += 1;
  const reportedAt = new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
  await db.insertInto("reports").values({ indicator_id: indicator, unit_id: unit, period, value, reporter_open_id: "ou", reported_at: reportedAt }).execute();
}

const engines: { name: string; open: () => Promise<{ db: Kysely<Database>; close: () => Promise<void> }> }[] = [
  { name: "SQLite", open: async () => openSqlite({ path: ":memory:" }) },
];
let postgres: TestPostgres | undefined;
engines.push({
  name: "PostgreSQL",
  open: async () => {
    postgres = await startPostgres();
    return openPostgres(await postgres.createDatabase("latest_values"));
  },
});
afterAll(async () => {
  await postgres?.stop();
});

for (const engine of engines) {
  describe(`latest values on ${engine.name}`, () => {
    let store: { db: Kysely<Database>; close: () => Promise<void> };
    beforeAll(async () => {
      store = await engine.open();
      const db = store.db;
      await seed(db);
      // Indicator 1: Q3, Q4, a correction of Q4, then a late report for Q2 and a correction of Q3.
      await report(db, 1, 1, "2026Q3", 61);
      await report(db, 1, 1, "2026Q4", 70);
      await report(db, 1, 1, "2026Q4", 72);
      await report(db, 1, 1, "2026Q2", 50);
      await report(db, 1, 1, "2026Q3", 62);
      // Supporting units: a newer period than the lead's never becomes the lead's; each shows its own newest.
      await report(db, 1, 2, "2027Q1", 90);
      await report(db, 1, 3, "2026Q3", 40);
      await report(db, 1, 3, "2026Q4", 41);
      // Indicator 2: the lead reported only an older quarter; indicator 3 (yearly): a quarter string is not this year.
      await report(db, 2, 1, "2026Q3", 55);
      await report(db, 3, 1, "2026Q4", 66);
      await report(db, 3, 1, "2025", 60);
      // Indicator 4, led by 各街道: its members report, the newest period wins whichever member sent it; in one
      // period the later report stands; 大坪街道 is not a member, so its newer report is a supporting value.
      await report(db, 4, 11, "2026Q3", 30);
      await report(db, 4, 12, "2026Q4", 35);
      await report(db, 4, 11, "2026Q4", 36);
      await report(db, 4, 12, "2026Q2", 20);
      await report(db, 4, 13, "2027Q1", 99);
      // Indicator 5: the lead reported this quarter and, ahead of time, the next one.
      await report(db, 5, 1, "2026Q4", 81);
      await report(db, 5, 1, "2027Q1", 82);
    }, 120_000);
    afterAll(async () => {
      await store?.close();
    });

    it("takes the lead's newest period, a correction superseding within it, and the period before it for the trend", async () => {
      const v = (await latestValuesByRole(store.db, [1], CURRENT)).get(1)!;
      expect(v.latest).toMatchObject({ value: 72, period: "2026Q4", unitName: "区卫健委" });
      // The late Q2 report neither hides Q4 nor becomes "previous"; Q3's correction does.
      expect(v.previous).toMatchObject({ value: 62, period: "2026Q3" });
      expect(v.reportedCurrent).toBe(true);
      expect(v.supporting.map((s) => [s.unitName, s.value, s.period])).toEqual([["区医保局", 90, "2027Q1"], ["区民政局", 41, "2026Q4"]]);
    });

    it("says whether the lead reported for the indicator's own current period", async () => {
      const values = await latestValuesByRole(store.db, [2, 3], CURRENT);
      expect(values.get(2)).toMatchObject({ latest: { value: 55, period: "2026Q3" }, previous: null, reportedCurrent: false, supporting: [] });
      // Yearly: "2026Q4" sorts after "2026" but is not the year 2026's report.
      expect(values.get(3)).toMatchObject({ latest: { value: 66, period: "2026Q4" }, previous: { value: 60, period: "2025" }, reportedCurrent: false });
      expect((await latestValuesByRole(store.db, [1])).get(1)!.reportedCurrent).toBe(false);
      // A report for a later period does not hide that the current one was reported.
      expect((await latestValuesByRole(store.db, [5], CURRENT)).get(5)).toMatchObject({ latest: { value: 82, period: "2027Q1" }, reportedCurrent: true });
    });

    it("counts a group's members as the lead: the newest period from any member, the later report within a period", async () => {
      const v = (await latestValuesByRole(store.db, [4], CURRENT)).get(4)!;
      expect(v.latest).toMatchObject({ value: 36, period: "2026Q4", unitName: "解放碑街道" });
      expect(v.previous).toMatchObject({ value: 30, period: "2026Q3", unitName: "解放碑街道" });
      expect(v.reportedCurrent).toBe(true);
      expect(v.supporting.map((s) => [s.unitName, s.value])).toEqual([["大坪街道", 99]]);
    });

    it("keeps each pair's newest and previous row in step with reports, whoever changes them and in whatever order", async () => {
      // report_heads is kept by triggers (migrations/0017): checked against the rows themselves after each of a
      // fixed pseudo-random run of inserts (some with explicit, older ids, as a restored row has), deletions and edits.
      const db = store.db;
      let seed = 17;
      const pick = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return Math.floor((seed / 2147483648) * n);
      };
      const periods = ["2025Q4", "2026Q1", "2026Q2", "2026Q3"];
      const expected = async () => {
        const rows = await db.selectFrom("reports").select(["id", "indicator_id", "unit_id", "period", "value", "reported_at"]).where("indicator_id", "in", [6, 7]).execute();
        const out = new Map<string, unknown>();
        const newestFirst = [...rows].sort((a, b) => (a.period === b.period ? b.id - a.id : a.period < b.period ? 1 : -1));
        for (const r of newestFirst) {
          const key = `${r.indicator_id}/${r.unit_id}`;
          if (out.has(key)) continue;
          const previous = newestFirst.find((p) => p.indicator_id === r.indicator_id && p.unit_id === r.unit_id && p.period < r.period);
          out.set(key, [r.id, r.value, r.period, r.reported_at, previous?.id ?? null, previous?.value ?? null, previous?.period ?? null, previous?.reported_at ?? null]);
        }
        return [...out].sort(([a], [b]) => (a < b ? -1 : 1));
      };
      const held = async () =>
        (await db.selectFrom("report_heads").selectAll().where("indicator_id", "in", [6, 7]).execute())
          .map((h) => [`${h.indicator_id}/${h.unit_id}`, [h.latest_id, h.latest_value, h.latest_period, h.latest_reported_at, h.previous_id, h.previous_value, h.previous_period, h.previous_reported_at]] as const)
          .sort(([a], [b]) => (a < b ? -1 : 1));
      let explicitId = 50_000;
      for (let step = 0; step < 150; step++) {
        const op = pick(10);
        const any = await db.selectFrom("reports").select("id").where("indicator_id", "in", [6, 7]).orderBy("id").execute();
        if (op < 6 || any.length === 0) {
          const row = { indicator_id: 6 + pick(2), unit_id: 1 + pick(3), period: periods[pick(4)]!, value: pick(100), reporter_open_id: "ou", reported_at: `2026-11-01T00:00:${String(step % 60).padStart(2, "0")}Z` };
          await db.insertInto("reports").values(op === 5 ? { ...row, id: explicitId-- } : row).execute();
        } else if (op < 8) {
          await db.deleteFrom("reports").where("id", "=", any[pick(any.length)]!.id).execute();
        } else {
          await db.updateTable("reports").set({ period: periods[pick(4)]!, unit_id: 1 + pick(3), value: pick(100) }).where("id", "=", any[pick(any.length)]!.id).execute();
        }
        expect(await held(), `after step ${step}`).toEqual(await expected());
      }
      expect((await held()).length).toBeGreaterThan(2);
      // Every report of a pair gone: so is its row.
      await db.deleteFrom("reports").where("indicator_id", "in", [6, 7]).execute();
      expect(await held()).toEqual([]);
    });

    it("reads more indicators than one statement may bind (D1: 100 parameters), leaving unreported ones out", async () => {
      const ids = Array.from({ length: 100 }, (_, k) => 100 - k);
      const values = await latestValuesByRole(store.db, ids, CURRENT);
      expect([...values.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(values.get(1)!.latest!.value).toBe(72);
      expect((await latestValuesByRole(store.db, [], CURRENT)).size).toBe(0);
    });
  });
}
