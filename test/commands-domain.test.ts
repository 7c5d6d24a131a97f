import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { fixedClock } from "../src/clock.js";
import { resolveActor } from "../src/domain/actors.js";
import { isDubanError } from "../src/domain/errors.js";
import { unitProgress } from "../src/domain/progress.js";
import { readNumber } from "../src/domain/number-input.js";
import { submitReport, validateValue, viewAfterStoring, type SubmitInput } from "../src/domain/report.js";
import { loadTaskViews, unitTasks, type IndicatorView } from "../src/domain/tasks.js";
import { lookupUnits } from "../src/domain/units-lookup.js";
import type { Services } from "../src/events/types.js";
import { seedStore } from "../src/node/seed.js";
import type { Database } from "../src/store/schema.js";
import { openSqlite } from "../src/store/sqlite.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";

// Domain functions on a real SQLite store seeded with the five plans; the edges (messenger, directory) are not
// reached by these functions except resolveActor's directory fallback, which answers "unknown" here.
const clock = fixedClock("2026-11-24T02:00:00.000Z");
let store: ReturnType<typeof openSqlite>;
let s: Services;
let db: Kysely<Database>;

beforeAll(async () => {
  store = openSqlite({ path: ":memory:" });
  db = store.db;
  await seedStore(db, "seeds", clock, { demoRoster: true });
  const unused = async () => { throw new Error("not used by the domain functions under test"); };
  s = {
    db, clock, adminOpenIds: [],
    messenger: { reply: unused, sendToChat: unused, sendToUser: unused, ephemeral: unused, patch: unused, updateByToken: unused, sendFile: unused, urgentApp: unused },
    directory: { userDepartments: async () => [], chatInfo: async () => null },
    log: { info() {}, warn() {}, error() {} },
  };
});
afterAll(() => store.close());

async function expectRefused(p: Promise<unknown>, field: string | undefined, text: RegExp) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(isDubanError(err)).toBe(true);
  if (isDubanError(err)) {
    expect(err.field).toBe(field);
    expect(err.message).toMatch(text);
  }
}

describe("reading numbers as officials type them", () => {
  it("accepts full-width digits, separators and a trailing %, refuses words", () => {
    expect(readNumber("８５．５", null)).toEqual({ ok: true, value: 85.5 });
    expect(readNumber("1,234", "人")).toEqual({ ok: true, value: 1234 });
    expect(readNumber("72%", "%")).toEqual({ ok: true, value: 72 });
    expect(readNumber("八十", "%")).toMatchObject({ ok: false, message: expect.stringMatching(/^数值：.*不是数字/) });
  });

  it("refuses percentages outside 0–100 and negative counts, naming the field and how to fix it", () => {
    expect(validateValue("99.9", "%")).toBe(99.9);
    expect(() => validateValue("120", "%")).toThrow(/数值：.*0–100/);
    expect(() => validateValue("-3", "个")).toThrow(/数值：/);
    expect(() => validateValue("abc", "个")).toThrow(/例如 3 或 3个/);
    expect(() => validateValue("abc", "%")).toThrow(/例如 85\.5/);
    expect(validateValue("120", "个")).toBe(120);
  });
});

describe("who is who and what a unit sees", () => {
  it("a rostered member resolves to their unit; a stranger to no unit", async () => {
    const me = await resolveActor(s, await demoOpenIdForUnit("重庆市渝中区", "区卫健委"));
    expect(me.units.map((u) => u.name)).toEqual(["区卫健委"]);
    const stranger = await resolveActor(s, "ou_nobody");
    expect(stranger.units).toEqual([]);
  });

  it("a unit sees the measures it leads and supports, with indicators", async () => {
    const [unit] = await lookupUnits(db, "区卫健委", "重庆市渝中区");
    const tasks = await unitTasks(db, unit!, clock.now());
    expect(tasks.some((t) => t.role === "lead")).toBe(true);
    expect(tasks.flatMap((t) => t.indicators).length).toBeGreaterThan(0);
    for (const t of tasks) expect(["lead", "support"]).toContain(t.role);
  });
});

describe("submitReport", () => {
  async function firstIndicator(jurisdiction: string, name: string) {
    const openId = await demoOpenIdForUnit(jurisdiction, name);
    const actor = await resolveActor(s, openId);
    const unit = actor.units[0]!;
    const tasks = await unitTasks(db, unit, clock.now());
    const ind = tasks.filter((t) => t.role === "lead").flatMap((t) => t.indicators)[0]!;
    return { actor, unit, ind };
  }

  it("stores one row per request key, with reporter and time, and the unit's progress counts it as reported", async () => {
    const { actor, unit, ind } = await firstIndicator("重庆市渝中区", "区卫健委");
    const before = await db.selectFrom("reports").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const input = { actor, unitId: unit.id, indicatorId: ind.id, rawValue: ind.unitOfMeasure === "%" ? "66" : "3", rawPeriod: ind.currentPeriod, note: "测试", requestKey: "k-1" };
    const first = await submitReport(s, input);
    const second = await submitReport(s, input);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(first.period).toBe(ind.currentPeriod);
    const rows = await db.selectFrom("reports").selectAll().where("request_key", "=", "k-1").execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reporter_open_id: actor.openId, reported_at: "2026-11-24T02:00:00.000Z", note: "测试" });
    const after = await db.selectFrom("reports").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(1);
    expect(first.indicator.reportedThisPeriod).toBe(true);
    const progress = await unitProgress(db, [unit], clock.now());
    expect(progress.rows).toHaveLength(1);
    expect(progress.rows[0]!.completeness).toBeGreaterThan(0);
    const counted = Object.values(progress.rows[0]!.counts).reduce((a, b) => a + b, 0);
    expect(counted).toBe(progress.rows[0]!.indicators);
  });

  it("keeps history: a later report for the same period becomes the latest value, the earlier row stays", async () => {
    const { actor, unit, ind } = await firstIndicator("重庆市渝中区", "区卫健委");
    await submitReport(s, { actor, unitId: unit.id, indicatorId: ind.id, rawValue: ind.unitOfMeasure === "%" ? "67" : "4", rawPeriod: ind.currentPeriod, note: "", requestKey: "k-2" });
    const r = await submitReport(s, { actor, unitId: unit.id, indicatorId: ind.id, rawValue: ind.unitOfMeasure === "%" ? "68" : "5", rawPeriod: ind.currentPeriod, note: "", requestKey: "k-3" });
    const [earlier, later] = ind.unitOfMeasure === "%" ? [67, 68] : [4, 5];
    expect(r.indicator.latest?.value).toBe(later);
    const rows = await db.selectFrom("reports").select("value").where("indicator_id", "=", ind.id).execute();
    expect(rows.map((x) => x.value)).toEqual(expect.arrayContaining([earlier, later]));
  });

  // The result's view of the indicator is derived from the view read before the insert (no second read of the task):
  // in every case it must equal what reading the task again would show.
  it("returns the indicator as a fresh read would show it after the report, for lead and supporting units", async () => {
    const viewNow = async (ind: IndicatorView) => (await loadTaskViews(db, [ind.taskId], clock.now()))[0]!.indicators.find((i) => i.id === ind.id)!;
    const laterPeriod = (ind: IndicatorView) => ({ year: "2027", quarter: "2027Q1", month: "2027-01" })[ind.periodKind];
    const insertDirectly = (unitId: number, ind: IndicatorView, period: string, value: number, reportedAt: string) =>
      db.insertInto("reports").values({ indicator_id: ind.id, unit_id: unitId, period, value, reporter_open_id: "ou_x", reported_at: reportedAt }).execute();
    const ownNewest = async (unitId: number, ind: IndicatorView, unitName: string) => {
      const own = await db.selectFrom("reports").select(["value", "period", "reported_at"]).where("indicator_id", "=", ind.id).where("unit_id", "=", unitId)
        .orderBy("period", "desc").orderBy("id", "desc").executeTakeFirst();
      return own ? { value: own.value, period: own.period, reportedAt: own.reported_at, unitName } : null;
    };
    let n = 0;
    /** Reports `value`; `derived` says whether the view before and the row stored suffice (else the task is read again). */
    async function report(ind: IndicatorView, base: Omit<SubmitInput, "indicatorId" | "rawValue" | "requestKey">, value: number, o: { derived: boolean; requestKey?: string }) {
      const before = await viewNow(ind);
      const unitName = base.actor.units.find((u) => u.id === base.unitId)!.name;
      const ownBefore = await ownNewest(base.unitId, ind, unitName);
      const r = await submitReport(s, { ...base, indicatorId: ind.id, rawValue: String(value), requestKey: o.requestKey ?? `view-${++n}`, confirmed: true });
      expect(r.indicator).toEqual(await viewNow(ind));
      if (!r.duplicate) {
        const stored = { value, period: base.rawPeriod, reportedAt: r.reportedAt, unitName };
        expect(viewAfterStoring(before, stored, r.role, ownBefore, clock.now()) !== null).toBe(o.derived);
      }
      return r;
    }
    const tasksOf = async (name: string) => {
      const actor = await resolveActor(s, await demoOpenIdForUnit("重庆市渝中区", name));
      return { actor, unit: actor.units[0]!, tasks: await unitTasks(db, actor.units[0]!, clock.now()) };
    };

    const lead = await tasksOf("区卫健委");
    const li = lead.tasks.filter((t) => t.role === "lead").flatMap((t) => t.indicators).at(-1)!;
    const asLead = { actor: lead.actor, unitId: lead.unit.id, rawPeriod: li.currentPeriod, note: "" };
    await insertDirectly(lead.unit.id, li, "2025", 40, "2025-06-01T00:00:00.000Z");
    const first = await report(li, asLead, 50, { derived: true });
    expect(first.indicator.previous).toBe(40);
    await report(li, asLead, 51, { derived: true, requestKey: "view-same" });
    await report(li, asLead, 51, { derived: true, requestKey: "view-same" });
    // Timed before the latest of its period (the clock went back), then for a period older than the latest: read again.
    await insertDirectly(lead.unit.id, li, li.currentPeriod, 52, "2099-01-01T00:00:00.000Z");
    expect((await report(li, asLead, 53, { derived: false })).indicator.latest?.value).toBe(53);
    await insertDirectly(lead.unit.id, li, laterPeriod(li), 54, "2026-11-01T00:00:00.000Z");
    expect((await report(li, asLead, 55, { derived: false })).indicator.latest?.value).toBe(54);

    const support = await tasksOf("区发改委");
    const si = support.tasks.filter((t) => t.role === "support").flatMap((t) => t.indicators)[0]!;
    const asSupport = { actor: support.actor, unitId: support.unit.id, rawPeriod: si.currentPeriod, note: "" };
    const sFirst = await report(si, asSupport, 60, { derived: true });
    expect(sFirst.indicator.supporting.map((v) => v.value)).toEqual([60]);
    // Another supporting unit's value of the same period and time: the later row comes first.
    const elsewhere = await db.selectFrom("units").select("id").where("jurisdiction", "!=", "重庆市渝中区").executeTakeFirstOrThrow();
    await insertDirectly(elsewhere.id, si, si.currentPeriod, 59, clock.now().toISOString());
    expect((await report(si, asSupport, 61, { derived: true })).indicator.supporting.map((v) => v.value)).toEqual([61, 59]);
    await insertDirectly(support.unit.id, si, laterPeriod(si), 62, "2026-11-01T00:00:00.000Z");
    expect((await report(si, asSupport, 63, { derived: true })).indicator.supporting.map((v) => v.value)).toEqual([62, 59]);
  });

  it("refuses a bad period, a long note, and another unit's indicator, storing nothing", async () => {
    const mine = await firstIndicator("重庆市渝中区", "区卫健委");
    const other = await firstIndicator("重庆市大足区", "区卫生健康委");
    const count = async () => Number((await db.selectFrom("reports").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
    const n0 = await count();
    const base = { actor: mine.actor, unitId: mine.unit.id, indicatorId: mine.ind.id, rawValue: "60", rawPeriod: mine.ind.currentPeriod, note: "", requestKey: "bad" };
    await expectRefused(submitReport(s, { ...base, rawPeriod: "去年", requestKey: "bad-1" }), "period", /./);
    await expectRefused(submitReport(s, { ...base, note: "长".repeat(201), requestKey: "bad-2" }), "note", /200/);
    await expectRefused(submitReport(s, { ...base, indicatorId: other.ind.id, requestKey: "bad-3" }), "indicator", /不是该指标所属任务的责任单位/);
    await expectRefused(submitReport(s, { ...base, unitId: other.unit.id, requestKey: "bad-4" }), undefined, /不能代为填报/);
    expect(await count()).toBe(n0);
  });
});

describe("the supervisor's progress over the whole store", () => {
  it("is the same whether the measures are read a few at a time or all at once, ties in the same order", async () => {
    const units = await db.selectFrom("units").selectAll().execute();
    const unit = units.find((u) => u.kind === "unit")!;
    const views = await unitTasks(db, unit, clock.now());
    const led = views.filter((t) => t.role === "lead").flatMap((t) => t.indicators).filter((i) => i.cmp === ">=" && i.target > 0);
    // Several indicators reported at zero: equally far behind, so only the order of the pass breaks their tie.
    for (const i of led.slice(0, 4)) {
      await db.insertInto("reports").values({ indicator_id: i.id, unit_id: unit.id, period: i.currentPeriod, value: 0, reporter_open_id: "ou_t", reported_at: clock.now().toISOString(), note: null, request_key: `tie-${i.id}` }).execute();
    }
    const whole = await unitProgress(db, units, clock.now(), 1_000_000);
    const inSteps = await unitProgress(db, units, clock.now(), 3);
    expect(whole.behind.filter((b) => b.unitName === unit.name).length).toBeGreaterThanOrEqual(2);
    expect(whole.rows.length).toBeGreaterThan(10);
    expect(inSteps).toEqual(whole);
  });
});
