import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clockStartingAt } from "../src/clock.js";
import { readNumber } from "../src/domain/number-input.js";
import { checkReportPeriod, reportWindow } from "../src/domain/period.js";
import { renderCard } from "../src/local/render.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { larkEnv, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";
import { cardOf, chatWith } from "./support/chat.js";

// Issue 12: numbers officials can trust. The bot's clock starts at 24 Nov 2026, 10:00 in Chongqing: the current
// quarter is 2026Q4 and 2026Q3 closed on 10 Oct); requests are signed at the bot's time so the replay check agrees.
const clock = clockStartingAt("2026-11-24T02:00:00.000Z");
let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;
let health: string; // demo member of 区卫健委（重庆市渝中区）
let medicare: string; // demo member of 区医保局（重庆市渝中区）, supports measure 9 (家庭医生签约)

beforeAll(async () => {
  lark = await startOpenPlatform();
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", clock, demoRoster: true });
  health = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
  medicare = await demoOpenIdForUnit("重庆市渝中区", "区医保局");
});
afterAll(async () => {
  await bot.close();
  await lark.close();
});


const chat = chatWith(() => bot, () => lark, { clock });
const say = (openId: string, text: string) => chat.say(openId, text);
const callback = (openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => chat.click(openId, value, { formValue });

const reportCount = async () => (await bot.store.db.selectFrom("reports").select("id").execute()).length;

/** The `nth` lead indicator of 区卫健委 measured in `unit`, and the form's submit value for it. */
async function formFor(unit: string, nth = 0) {
  const ind = await bot.store.db
    .selectFrom("indicators")
    .innerJoin("task_units", "task_units.task_id", "indicators.task_id")
    .innerJoin("units", "units.id", "task_units.unit_id")
    .select(["indicators.id", "indicators.name", "indicators.target", "indicators.unit_of_measure"])
    .where("units.name", "=", "区卫健委")
    .where("units.jurisdiction", "=", "重庆市渝中区")
    .where("task_units.role", "=", "lead")
    .where("indicators.unit_of_measure", "=", unit)
    .where("indicators.period", "=", "quarter")
    .orderBy("indicators.id")
    .offset(nth)
    .limit(1)
    .executeTakeFirstOrThrow();
  const [form] = await say(health, `/上报 ${ind.name}`);
  const f = cardOf(form!).body.elements.find((e: any) => e.tag === "form");
  const submit = f.elements.find((e: any) => e.tag === "button").behaviors[0].value;
  return { submit, id: String(ind.id), ind };
}

describe("the value an official types", () => {
  it("refuses “1,5” instead of storing 15, and says how to write a decimal or a thousands separator", async () => {
    const { submit, id } = await formFor("%");
    const n = await reportCount();
    const res = await callback(health, submit, { indicator: id, value: "1,5", period: "2026Q4" });
    expect(res.toast).toMatchObject({ type: "error" });
    expect(res.toast!.content).toMatch(/^数值：.*千位分隔须三位一组.*小数请用小数点/);
    expect(await reportCount()).toBe(n);
  });

  it("accepts the indicator's own unit after the number (“3个”, “85.5%”) and refuses another unit, naming the expected one", async () => {
    const count = await formFor("个");
    const ok = await callback(health, count.submit, { indicator: count.id, value: "3个", period: "2026Q4" });
    expect(ok.toast).toEqual({ type: "success", content: "已记录" });
    const wrong = await callback(health, count.submit, { indicator: count.id, value: "3%", period: "2026Q4" });
    expect(wrong.toast!.content).toMatch(/该指标的单位是“个”，不能填“%”/);
    const pct = await formFor("%");
    const pctOk = await callback(health, pct.submit, { indicator: pct.id, value: "85.5%", period: "2026Q4" });
    expect(pctOk.toast?.type).toBe("success");
    expect(renderCard(pctOk.card!.data)).toContain("85.5%");
  });

  it("refuses a decimal for a count (“3.5个”), a 20-digit number, and an empty value with 请输入数值", async () => {
    const { submit, id } = await formFor("个");
    const n = await reportCount();
    const decimal = await callback(health, submit, { indicator: id, value: "3.5个", period: "2026Q4" });
    expect(decimal.toast!.content).toMatch(/应为整数/);
    const huge = await callback(health, submit, { indicator: id, value: "99999999999999999999", period: "2026Q4" });
    expect(huge.toast!.content).toMatch(/数值过大/);
    const empty = await callback(health, submit, { indicator: id, value: "", period: "2026Q4" });
    expect(empty.toast!.content).toMatch(/^数值：请输入数值/);
    expect(empty.toast!.content).not.toContain("“”");
    expect(await reportCount()).toBe(n);
  });
});

describe("the period a report is for", () => {
  it.each([
    ["a future quarter", "2030Q1", /2030年第1季度 还没到/],
    ["a far-future quarter", "2099Q4", /还没到/],
    ["year 0", "0000Q1", /早于方案印发的 2024 年/],
    ["a quarter closed after its grace days", "2026Q3", /2026年第3季度 已过填报期/],
  ])("refuses %s (%s), naming the periods that may be reported, and stores nothing", async (_name, period, why) => {
    const { submit, id } = await formFor("%");
    const n = await reportCount();
    const res = await callback(health, submit, { indicator: id, value: "80", period });
    expect(res.toast?.type).toBe("error");
    expect(res.toast!.content).toMatch(why);
    expect(res.toast!.content).toContain("现在可填报：2026年第4季度（2026Q4）");
    expect(await reportCount()).toBe(n);
  });

  it("refuses a required 周期 left empty instead of silently using the current period", async () => {
    const { submit, id } = await formFor("%");
    const n = await reportCount();
    const res = await callback(health, submit, { indicator: id, value: "80", period: "" });
    expect(res.toast!.content).toBe("周期：请填写周期，例如 2026Q4");
    expect(await reportCount()).toBe(n);
  });

  it("keeps the previous quarter open for 10 days after it ends, and a year for 90 days", () => {
    const at = (iso: string) => new Date(iso);
    expect(checkReportPeriod("2026Q3", { kind: "quarter", now: at("2026-10-10T12:00:00+08:00") })).toEqual({ ok: true });
    const late = checkReportPeriod("2026Q3", { kind: "quarter", now: at("2026-10-11T09:00:00+08:00") });
    expect(late).toMatchObject({ ok: false, message: expect.stringContaining("已过填报期") });
    expect(reportWindow("quarter", at("2026-10-05T09:00:00+08:00")).previous).toEqual({ period: "2026Q3", until: { year: 2026, month: 10, day: 10 } });
    expect(checkReportPeriod("2026", { kind: "year", now: at("2027-03-31T20:00:00+08:00") })).toEqual({ ok: true });
    expect(checkReportPeriod("2026", { kind: "year", now: at("2027-04-01T08:00:00+08:00") }).ok).toBe(false);
    // Midnight in Chongqing, not UTC, ends a quarter: 1 Jan 01:00 there is already 2027Q1.
    expect(reportWindow("quarter", at("2026-12-31T17:00:00Z")).current).toBe("2027Q1");
  });
});

describe("values that look like a typo", () => {
  it("asks 请确认数值 for a count far over its target, stores it only on 确认提交, and once however often it is clicked", async () => {
    const { submit, id, ind } = await formFor("个");
    const n = await reportCount();
    const big = String(ind.target * 100);
    const res = await callback(health, submit, { indicator: id, value: big, period: "2026Q4" });
    expect(res.toast).toEqual({ type: "warning", content: "请确认数值" });
    const text = renderCard(res.card!.data);
    expect(text).toContain(`是目标 ${ind.target}个 的 100 倍`);
    expect(text).toContain("[确认提交]");
    expect(text).toContain("[返回修改]");
    expect(await reportCount()).toBe(n);
    const buttons = res.card!.data.body.elements.filter((e: any) => e.tag === "button");
    const confirm = buttons.find((b: any) => b.text.content === "确认提交").behaviors[0].value;
    const first = await callback(health, confirm);
    expect(first.toast).toEqual({ type: "success", content: "已记录" });
    const again = await callback(health, confirm);
    expect(again.toast?.content).toBe("已记录过，本次未重复保存");
    expect(await reportCount()).toBe(n + 1);
    const back = await callback(health, buttons.find((b: any) => b.text.content === "返回修改").behaviors[0].value);
    expect(renderCard(back.card!.data)).toContain("指标填报");
  });

  it("asks again when a value is ten times the unit's last one", async () => {
    const { submit, id } = await formFor("%", 1);
    const first = await callback(health, submit, { indicator: id, value: "8", period: "2026Q4" });
    expect(first.toast?.type).toBe("success");
    const res = await callback(health, submit, { indicator: id, value: "80", period: "2026Q4" });
    expect(res.toast?.content).toBe("请确认数值");
    expect(renderCard(res.card!.data)).toContain("是上次 8% 的 10 倍");
  });
});

/** The report form for the 家庭医生签约 indicator (measure 9: 区卫健委 leads, 区医保局 supports). */
async function signingForm(openId: string) {
  const [form] = await say(openId, "/上报 家庭医生签约服务重点人群覆盖率");
  const f = cardOf(form!).body.elements.find((e: any) => e.tag === "form");
  const select = f.elements.find((e: any) => e.tag === "select_static");
  return { submit: f.elements.find((e: any) => e.tag === "button").behaviors[0].value, id: select.initial_option ?? select.options[0].value };
}

/** The /我的任务 page (as text) holding measure 9. */
async function signingLine(openId: string) {
  for (const page of [1, 2, 3]) {
    const [r] = await say(openId, `/我的任务 ${page}`);
    const text = renderCard(cardOf(r!));
    const at = text.indexOf("家庭医生签约服务重点人群覆盖率");
    if (at >= 0) return text.slice(at, at + 400);
  }
  throw new Error("measure 9 not on the first three pages");
}

describe("latest value and status, per responsible unit", () => {
  it("a supporting unit's value is shown beside the lead's and never becomes the lead's 最新 or marks it 已达标", async () => {
    const lead = await signingForm(health);
    expect((await callback(health, lead.submit, { indicator: lead.id, value: "80.5", period: "2026Q4" })).toast?.type).toBe("success");
    const support = await signingForm(medicare);
    const res = await callback(medicare, support.submit, { indicator: support.id, value: "99", period: "2026Q4" });
    expect(res.toast?.type).toBe("success");
    expect(renderCard(res.card!.data)).toContain("配合单位填报，单独显示");
    const line = await signingLine(health);
    expect(line).toContain("最新 80.5%（2026年第4季度）");
    expect(line).toContain("配合单位填报：区医保局 99%（2026年第4季度）");
    expect(line).not.toContain("已达标");
  });

  it("explains 进度滞后 in one line: the value expected by now from the baseline, the target and its year", async () => {
    const { submit, id } = await signingForm(health);
    const res = await callback(health, submit, { indicator: id, value: "80.5", period: "2026Q4", note: "更正" });
    const receipt = renderCard(res.card!.data);
    // Baseline 80% at the end of 2023, target 81% at the end of 2027: on 24 Nov 2026 the line is at 80.7%.
    expect(receipt).toContain("进度滞后");
    expect(receipt).toContain("80.5% 低于按进度应达到的 80.7%（基线 80%（2023年）→ 目标 ≥81%（2027年））");
    expect(await signingLine(health)).toContain("80.5% 低于按进度应达到的 80.7%");
  });

  it("the receipt shows the status of the value just entered, and 已达标 as soon as the target is met", async () => {
    const { submit, id } = await signingForm(health);
    const res = await callback(health, submit, { indicator: id, value: "81", period: "2026Q4" });
    const receipt = renderCard(res.card!.data);
    expect(receipt).toContain("已达标");
    expect(receipt).toContain("81% 已达到目标 ≥81%（2027年）");
    const line = await signingLine(health);
    expect(line).toContain("最新 81%（2026年第4季度）");
    expect(line).toContain("已达标");
  });

  it("every seeded indicator has a due year; one the text does not state is marked （年份推定） on the card", async () => {
    const rows = await bot.store.db.selectFrom("indicators").select(["due_year", "due_year_source", "target_year"]).execute();
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => r.due_year === null)).toEqual([]);
    for (const r of rows) if (r.target_year !== null) expect(r.due_year).toBe(r.target_year);
    const estimated = await bot.store.db.selectFrom("indicators").select(["name", "due_year"]).where("due_year_source", "!=", "text").orderBy("id").executeTakeFirstOrThrow();
    const [r] = await say(health, `/指标 ${estimated.name}`);
    expect(renderCard(cardOf(r!))).toContain(`（${estimated.due_year}年）（年份推定）`);
  });
});

describe("readNumber", () => {
  it("accepts thousands separators only in groups of three, and the unit after a space", () => {
    expect(readNumber("1,500", "人")).toEqual({ ok: true, value: 1500 });
    expect(readNumber("12,345.5", null)).toEqual({ ok: true, value: 12345.5 });
    expect(readNumber("12 所", "所")).toEqual({ ok: true, value: 12 });
    expect(readNumber("3‰", "‰")).toEqual({ ok: true, value: 3 });
    expect(readNumber("15/10万", "/10万")).toEqual({ ok: true, value: 15 });
    for (const bad of ["1,5", "1,50", "15,00,000", ",5", "1,,500"]) expect(readNumber(bad, "人").ok).toBe(false);
    expect(readNumber("3个", null)).toMatchObject({ ok: false, message: expect.stringContaining("没有计量单位") });
  });
});
