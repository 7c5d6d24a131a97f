import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { fixedClock } from "../src/clock.js";
import { resolveActor } from "../src/domain/actors.js";
import { isDubanError } from "../src/domain/errors.js";
import { unitProgress } from "../src/domain/progress.js";
import { readNumber } from "../src/domain/number-input.js";
import { ConfirmationNeeded, submitReport, validateValue, type SubmitInput } from "../src/domain/report.js";
import { reportReceiptCard } from "../cards/report-receipt.js";
import { statusReason, withUnit } from "../cards/format.js";
import { periodLabel } from "../src/domain/period.js";
import { loadTaskViews, unitTasks } from "../src/domain/tasks.js";
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

  it("every unit sees exactly the current measures it or a group of it is named on, each with its units and current indicators in printed order", async () => {
    // Retire one measure and one indicator, and print another measure's indicators in reverse, inside a transaction
    // that is rolled back afterwards.
    const rollback = new Error("rollback");
    await db.transaction().execute(async (trx) => {
      const withTwo = await trx.selectFrom("indicators").select("task_id").where("retired_at", "is", null).groupBy("task_id").having((eb) => eb.fn.countAll(), ">", 1).orderBy("task_id").execute();
      await trx.updateTable("tasks").set({ retired_at: "2026-11-01T00:00:00Z" }).where("id", "=", withTwo[0]!.task_id).execute();
      const [first] = await trx.selectFrom("indicators").select("id").where("task_id", "=", withTwo[1]!.task_id).orderBy("ordinal").execute();
      await trx.updateTable("indicators").set({ retired_at: "2026-11-01T00:00:00Z" }).where("id", "=", first!.id).execute();
      await trx.updateTable("indicators").set((eb) => ({ ordinal: eb(eb.val(100), "-", eb.ref("ordinal")) })).where("task_id", "=", withTwo[2]!.task_id).execute();
      const units = await trx.selectFrom("units").selectAll().orderBy("id").execute();
      let grouped = 0;
      for (const unit of units) {
        const groups = await trx.selectFrom("unit_group_members").select("group_id").where("unit_id", "=", unit.id).execute();
        const ids = [unit.id, ...groups.map((g) => g.group_id)];
        const links = await trx.selectFrom("task_units").innerJoin("tasks", "tasks.id", "task_units.task_id").select(["task_units.task_id", "task_units.unit_id", "task_units.role"])
          .where("task_units.unit_id", "in", ids).where("tasks.retired_at", "is", null).execute();
        const views = await unitTasks(trx, unit, clock.now());
        expect(views.map((v) => v.id).sort((a, b) => a - b), unit.name).toEqual([...new Set(links.map((l) => l.task_id))].sort((a, b) => a - b));
        for (const v of views) {
          const mine = links.filter((l) => l.task_id === v.id);
          expect(v.role).toBe(mine.some((l) => l.role === "lead") ? "lead" : "support");
          if (v.viaGroup) grouped++;
          expect(v.viaGroup === null).toBe(mine.some((l) => l.unit_id === unit.id && l.role === v.role));
          const units = await trx.selectFrom("task_units").innerJoin("units", "units.id", "task_units.unit_id").select(["units.name", "task_units.role"]).where("task_id", "=", v.id).orderBy("task_units.ordinal").execute();
          expect(v.units).toEqual(units);
          const inds = await trx.selectFrom("indicators").select("id").where("task_id", "=", v.id).where("retired_at", "is", null).orderBy("ordinal").execute();
          expect(v.indicators.map((i) => i.id)).toEqual(inds.map((i) => i.id));
        }
        expect(views).toEqual(await loadTaskViews(trx, views.map((v) => v.id), clock.now(), (id) => { const v = views.find((w) => w.id === id)!; return { role: v.role, viaGroup: v.viaGroup }; }));
      }
      expect(grouped).toBeGreaterThan(0);
      throw rollback;
    }).catch((e: unknown) => { if (e !== rollback) throw e; });
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
    const shown = (await unitTasks(db, unit, clock.now())).flatMap((t) => t.indicators).find((i) => i.id === ind.id);
    expect(shown?.reportedThisPeriod).toBe(true);
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
    expect(r.value).toBe(later);
    const shown = (await loadTaskViews(db, [ind.taskId], clock.now()))[0]!.indicators.find((i) => i.id === ind.id);
    expect(shown?.latest?.value).toBe(later);
    const rows = await db.selectFrom("reports").select("value").where("indicator_id", "=", ind.id).execute();
    expect(rows.map((x) => x.value)).toEqual(expect.arrayContaining([earlier, later]));
  });

  // The receipt is built from what the report read before storing (the indicator's facts, the unit's role) and the
  // value entered; the indicator's stored values are not read for it. It must read as it did when it was built from
  // the indicator read afresh after the insert, and the stored values must be what /我的任务 then shows.
  it("answers with a receipt of the value entered, as the indicator read afresh would give it: lead, repeated, previous period, supporting", async () => {
    const january = { ...s, clock: fixedClock("2027-01-03T02:00:00.000Z") };
    const fresh = async (at: Services, r: { indicator: { id: number; taskId: number } }) =>
      (await loadTaskViews(db, [r.indicator.taskId], at.clock.now()))[0]!.indicators.find((i) => i.id === r.indicator.id)!;
    let n = 0;
    async function receipt(at: Services, input: Omit<SubmitInput, "requestKey"> & { requestKey?: string }) {
      const r = await submitReport(at, { ...input, requestKey: input.requestKey ?? `receipt-${++n}`, confirmed: true });
      const view = await fresh(at, r);
      expect(view).toMatchObject(r.indicator);
      const card = reportReceiptCard({ ...r, reporterOpenId: input.actor.openId });
      expect(card).toEqual(reportReceiptCard({ ...r, indicator: view, reporterOpenId: input.actor.openId }));
      return { r, view, text: JSON.stringify(card) };
    }
    const unitOf = async (name: string) => {
      const actor = await resolveActor(s, await demoOpenIdForUnit("重庆市渝中区", name));
      return { actor, unit: actor.units[0]!, tasks: await unitTasks(db, actor.units[0]!, january.clock.now()) };
    };

    const lead = await unitOf("区卫健委");
    const li = lead.tasks.filter((t) => t.role === "lead").flatMap((t) => t.indicators).at(-1)!;
    const previousPeriod = { year: "2026", quarter: "2026Q4", month: "2026-12" }[li.periodKind];
    const asLead = { actor: lead.actor, unitId: lead.unit.id, indicatorId: li.id, rawPeriod: li.currentPeriod, note: "" };
    const first = await receipt(january, { ...asLead, rawValue: "50" });
    expect(first.r.role).toBe("lead");
    expect(first.text).toContain(`${periodLabel(li.currentPeriod)}：**${withUnit(50, li.unitOfMeasure)}**`);
    expect(first.view.latest?.value).toBe(50);
    // A second report in the same period: the receipt shows it, and it is the latest now.
    const second = await receipt(january, { ...asLead, rawValue: "51", requestKey: "receipt-same" });
    expect(second.text).toContain(`**${withUnit(51, li.unitOfMeasure)}**`);
    expect(second.view.latest?.value).toBe(51);
    const again = await receipt(january, { ...asLead, rawValue: "51", requestKey: "receipt-same" });
    expect(again.r.duplicate).toBe(true);
    expect(again.text).toContain("重复提交，已忽略");
    // The previous period, still open in early January: the receipt shows that value and its status; the current
    // period's value stays the latest and the new one becomes the previous.
    const old = await receipt(january, { ...asLead, rawValue: "30", rawPeriod: previousPeriod });
    expect(old.text).toContain(`${periodLabel(previousPeriod)}：**${withUnit(30, li.unitOfMeasure)}**`);
    expect(old.text).toContain(statusReason({ ...li, status: old.r.enteredStatus }, 30));
    expect(old.view.latest?.value).toBe(51);
    expect(old.view.previous).toBe(30);

    const support = await unitOf("区发改委");
    const si = support.tasks.filter((t) => t.role === "support").flatMap((t) => t.indicators)[0]!;
    const asSupport = { actor: support.actor, unitId: support.unit.id, indicatorId: si.id, rawPeriod: si.currentPeriod, note: "" };
    const leadBefore = (await fresh(january, { indicator: si })).latest;
    const supported = await receipt(january, { ...asSupport, rawValue: "60" });
    expect(supported.r.role).toBe("support");
    expect(supported.text).toContain("配合单位填报，单独显示");
    expect(supported.view.supporting.map((v) => v.value)).toEqual([60]);
    expect(supported.view.latest).toEqual(leadBefore);
  });

  it("asks to confirm an implausible value with the indicator as it stands, storing nothing", async () => {
    const { actor, unit, ind } = await firstIndicator("重庆市渝中区", "区卫健委");
    const before = await db.selectFrom("reports").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const err = await submitReport(s, { actor, unitId: unit.id, indicatorId: ind.id, rawValue: String(ind.target * 100), rawPeriod: ind.currentPeriod, note: "", requestKey: "implausible" })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfirmationNeeded);
    const view = (await loadTaskViews(db, [ind.taskId], clock.now()))[0]!.indicators.find((i) => i.id === ind.id);
    expect((err as ConfirmationNeeded).indicator).toEqual(view);
    const after = await db.selectFrom("reports").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
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
