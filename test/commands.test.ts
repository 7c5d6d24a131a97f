import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderCard } from "../src/local/render.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { findUnits } from "../src/store/units.js";
import { larkEnv, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";
import { cardOf, chatWith, textOf } from "./support/chat.js";

let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;
let yuzhong: string; // demo member of 区卫健委（重庆市渝中区）
let yuzhongMedicare: string; // 区医保局（重庆市渝中区）, supports measure 9
let dazu: string; // 区卫生健康委（重庆市大足区）

beforeAll(async () => {
  lark = await startOpenPlatform();
  // Read-only commands are answered from a worker thread here, as in production (src/node/read-pool.ts).
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", demoRoster: true, readWorkers: 1 });
  await bot.readPool!.ready();
  yuzhong = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
  yuzhongMedicare = await demoOpenIdForUnit("重庆市渝中区", "区医保局");
  dazu = await demoOpenIdForUnit("重庆市大足区", "区卫生健康委");
});
afterAll(async () => {
  // The read-only commands above were answered from the worker, not all handed back to the main thread.
  expect(bot.readPool!.stats.answered).toBeGreaterThan(5);
  await bot.close();
  await lark.close();
});

const chat = chatWith(() => bot, () => lark);
const say = chat.say;
const callback = (openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => chat.click(openId, value, { formValue });

const reportRows = () => bot.store.db.selectFrom("reports").selectAll().orderBy("id").execute();

/** Opens the report form for a keyword and returns its submit value and the indicator id. */
async function openForm(openId: string, keyword: string) {
  const [form] = await say(openId, `/上报 ${keyword}`);
  const card = cardOf(form!);
  const f = card.body.elements.find((e: any) => e.tag === "form");
  const submit = f.elements.find((e: any) => e.tag === "button").behaviors[0].value;
  const select = f.elements.find((e: any) => e.tag === "select_static");
  return { submit, indicatorId: select.options[(select.initial_index ?? 1) - 1].value, card };
}

describe("/我的任务", () => {
  it("in a 1:1 chat answers with the unit's measures, lead and support, each indicator's target and status", async () => {
    const [reply] = await say(yuzhong, "/我的任务");
    expect(reply!.path).toMatch(/\/reply$/);
    const text = textOf(reply!);
    expect(text).toContain("我的任务 · 区卫健委（重庆市渝中区）");
    expect(text).toMatch(/牵头 \d+ 项 · 配合 \d+ 项/);
    expect(text).toContain("目标 ≥5个（2027年）");
    expect(text).toContain("[上报]");
    expect(JSON.stringify(cardOf(reply!)).length).toBeLessThan(30_000);
  });

  it("in a group answers only the sender (ephemeral) unless asked 公开, with @mention, full-width slash or English alias", async () => {
    const [eph] = await say(yuzhong, "／我的任务", { group: true });
    expect(eph!.path).toBe("/open-apis/ephemeral/v1/send");
    expect(eph!.body.open_id).toBe(yuzhong);
    const [pub] = await say(yuzhong, "/mytasks 公开", { group: true });
    expect(pub!.path).toMatch(/\/reply$/);
  });

  it("tells an unknown user how to bind instead of showing anything", async () => {
    const [r] = await say("ou_stranger", "/我的任务");
    expect(textOf(r!)).toContain("/绑定");
  });

  it("binds through a Lark department only by an admin's mapping, never by the department's name (security finding 2)", async () => {
    // Same names as units of other governments: 市公安局（贵阳市）, 区科技局（重庆市渝中区）.
    lark.users.set("ou_beijing_police", ["od-bj-police"]);
    lark.departments.set("od-bj-police", "北京市公安局");
    lark.users.set("ou_xicheng_sci", ["od-xc-sci"]);
    lark.departments.set("od-xc-sci", "北京市西城区科技局");
    for (const [who, dept] of [["ou_beijing_police", "北京市公安局"], ["ou_xicheng_sci", "北京市西城区科技局"]] as const) {
      const [r] = await say(who, "/我的任务");
      // The official sees why nothing was found and how to get bound, in Chinese.
      expect(textOf(r!)).toContain("还不知道您属于哪个单位");
      expect(textOf(r!)).toContain(`“${dept}”`);
      expect(textOf(r!)).toContain("不会按部门名称推测单位");
      expect(textOf(r!)).toContain("/绑定 单位名称");
      expect(await bot.store.db.selectFrom("members").select("unit_id").where("open_id", "=", who).execute()).toEqual([]);
    }
    // Typing the department's name as a unit matches nothing: 北京市 is no jurisdiction in the plans. Namesakes
    // elsewhere are only offered as buttons to pick from, and nothing is requested until one is picked.
    expect(textOf((await say("ou_beijing_police", "/绑定 北京市公安局"))[0]!)).toContain("没有名称正好是“北京市公安局”的单位");
    expect(await bot.store.db.selectFrom("bind_requests").select("id").where("open_id", "=", "ou_beijing_police").execute()).toEqual([]);
    // Even a department named exactly like a unit binds nobody until an admin maps it.
    lark.users.set("ou_new_medicare", ["od-1"]);
    lark.departments.set("od-1", "渝中区医保局");
    expect(textOf((await say("ou_new_medicare", "/我的任务"))[0]!)).toContain("/绑定");
    const refused = await say("ou_new_medicare", "/绑定部门 od-1 渝中区医保局");
    expect(textOf(refused[0]!)).toContain("只有管理员可以绑定部门");
    // The admin's request card names the requester's department, ready for /绑定部门.
    const asked = await say("ou_new_medicare", "/绑定 渝中区医保局");
    const toAdmin = asked.find((r) => r.query["receive_id_type"] === "open_id" && r.body.receive_id === "ou_admin");
    expect(textOf(toAdmin!)).toContain("/绑定部门 od-1 区医保局（重庆市渝中区）");
    const ambiguous = await say("ou_admin", "/绑定部门 od-1 区医保局");
    expect(textOf(ambiguous[0]!)).toContain("对应多个单位");
    const mapped = await say("ou_admin", "/绑定部门 od-1 区医保局（重庆市渝中区）");
    expect(textOf(mapped[0]!)).toContain("部门已对应");
    const [r] = await say("ou_new_medicare", "/我的任务");
    expect(textOf(r!)).toContain("区医保局（重庆市渝中区）");
  });

  it("a place prefix that matches no jurisdiction is not found, never another government's unit", async () => {
    const labels = async (typed: string) => (await findUnits(bot.store.db, typed)).map((u) => `${u.name}（${u.jurisdiction}）`);
    expect(await labels("北京市公安局")).toEqual([]);
    expect(await labels("北京市西城区科技局")).toEqual([]);
    expect(await labels("渝中区卫健委")).toEqual(["区卫健委（重庆市渝中区）"]);
    expect(await labels("区卫健委（重庆市渝中区）")).toEqual(["区卫健委（重庆市渝中区）"]);
    expect((await labels("区卫健委")).length).toBeGreaterThan(1);
  });
});

describe("reporting through the card form", () => {
  it("stores a valid value with reporter and time, answers with the stored value, and /我的任务 shows it", async () => {
    const { submit, indicatorId } = await openForm(yuzhong, "签约");
    const res = await callback(yuzhong, submit, { indicator: indicatorId, value: "80.5", period: "2026Q4", note: "第四季度数据" });
    expect(res.toast).toEqual({ type: "success", content: "已记录" });
    expect(renderCard(res.card!.data)).toContain("80.5%");
    const rows = await reportRows();
    expect(rows.at(-1)).toMatchObject({ indicator_id: Number(indicatorId), value: 80.5, period: "2026Q4", reporter_open_id: yuzhong, note: "第四季度数据" });
    // Measure 9 is on whichever page the card budget puts it.
    let shown = "";
    for (let page = 1; page <= 4 && !shown.includes("[9]"); page++) shown = textOf((await say(yuzhong, `/我的任务 ${page}`))[0]!);
    expect(shown).toContain("最新 80.5%（2026年第4季度）");
  });

  it("a double click stores one value, not two", async () => {
    const { submit, indicatorId } = await openForm(yuzhong, "签约");
    const before = (await reportRows()).length;
    const form = { indicator: indicatorId, value: "81", period: "2026Q4" };
    const [a, b] = await Promise.all([callback(yuzhong, submit, form), callback(yuzhong, submit, form)]);
    expect([a.toast?.content, b.toast?.content].sort()).toEqual(["已记录", "已记录过，本次未重复保存"].sort());
    expect((await reportRows()).length).toBe(before + 1);
  });

  it.each([
    ["a word instead of a number", { value: "八十" }, /数值/],
    ["a percentage over 100", { value: "120" }, /0–100/],
    ["a period that does not fit a quarterly indicator", { value: "80", period: "2026-13" }, /周期/],
  ])("refuses %s with a toast naming the field, storing nothing", async (_n, form, message) => {
    const { submit, indicatorId } = await openForm(yuzhong, "签约");
    const before = (await reportRows()).length;
    const res = await callback(yuzhong, submit, { indicator: indicatorId, period: "2026Q4", ...form });
    expect(res.toast?.type).toBe("error");
    expect(res.toast?.content).toMatch(message);
    expect((await reportRows()).length).toBe(before);
  });

  it("refuses a report for another unit's indicator, and a form belonging to another unit", async () => {
    const { submit, indicatorId } = await openForm(yuzhong, "签约");
    const before = (await reportRows()).length;
    const foreignForm = await callback(dazu, submit, { indicator: indicatorId, value: "50", period: "2026Q4" });
    expect(foreignForm.toast?.content).toMatch(/另一个单位/);
    const { submit: dazuSubmit } = await openForm(dazu, "");
    const foreignIndicator = await callback(dazu, dazuSubmit, { indicator: indicatorId, value: "50", period: "2026Q4" });
    expect(foreignIndicator.toast?.content).toMatch(/不是该指标所属任务的责任单位/);
    expect((await reportRows()).length).toBe(before);
  });

  it("refuses a stale card (older than 14 days)", async () => {
    const { submit, indicatorId } = await openForm(yuzhong, "签约");
    const res = await callback(yuzhong, { ...submit, issued_at: new Date(Date.now() - 15 * 86_400_000).toISOString() }, { indicator: indicatorId, value: "80", period: "2026Q4" });
    expect(res.toast?.content).toMatch(/14 天/);
  });

  it("tells the lead unit's chat when a supporting unit reports", async () => {
    await say("ou_admin", "/绑定 群 渝中区卫健委", { group: true, chatId: "oc_yuzhong_health" });
    const { submit, indicatorId } = await openForm(yuzhongMedicare, "签约");
    const before = lark.sends().length;
    const res = await callback(yuzhongMedicare, submit, { indicator: indicatorId, value: "79", period: "2026Q4" });
    expect(res.toast?.type).toBe("success");
    await bot.worker!.kick();
    const notice = lark.sends().slice(before).find((r) => r.body?.receive_id === "oc_yuzhong_health");
    expect(notice).toBeDefined();
    expect(textOf(notice!)).toContain("区医保局 填报了");
  });
});

describe("/进度, /指标, /帮助", () => {
  it("shows the supervisor every unit in a table, and a unit only itself", async () => {
    const [all] = await say("ou_demo_supervisor", "/进度");
    const card = cardOf(all!);
    const table = card.body.elements.find((e: any) => e.tag === "table");
    expect(table.rows.length).toBeGreaterThan(5);
    const [own] = await say(yuzhong, "/进度 大足区卫健委");
    expect(textOf(own!)).toContain("只有督办室");
  });

  it("finds indicators by keyword", async () => {
    const [r] = await say(yuzhong, "/指标 覆盖率");
    expect(textOf(r!)).toContain("家庭医生签约服务重点人群覆盖率");
  });

  it("answers an unknown command with help, not silence", async () => {
    const [r] = await say(yuzhong, "/查岗");
    const text = textOf(r!);
    expect(text).toMatch(/未知命令“\/?查岗”/);
    expect(text).toContain("/我的任务");
  });
});

describe("/绑定 and approval", () => {
  it("creates a request an admin approves from a card; then the user sees their unit", async () => {
    const sent = await say("ou_newcomer", "/绑定 渝中区卫健委");
    const toAdmin = sent.find((r) => r.body?.receive_id === "ou_admin");
    expect(toAdmin).toBeDefined();
    const approve = cardOf(toAdmin!).body.elements.flatMap((e: any) => e.columns ?? []).flatMap((c: any) => c.elements)
      .find((b: any) => b.text.content === "同意").behaviors[0].value;
    const denied = await callback("ou_newcomer", approve);
    expect(denied.toast?.content).toMatch(/只有管理员/);
    const ok = await callback("ou_admin", approve);
    expect(ok.toast?.content).toBe("已同意");
    await bot.worker!.kick();
    const mine = (await say("ou_newcomer", "/我的任务")).find((r) => r.path.endsWith("/reply"));
    expect(textOf(mine!)).toContain("我的任务 · 区卫健委（重庆市渝中区）");
  });

  it("an admin binds a group chat with /绑定群 and marks the supervising office; others are refused", async () => {
    const refused = await say(yuzhong, "/绑定群 渝中区卫健委", { group: true, chatId: "oc_unit_chat" });
    expect(textOf(refused[0]!)).toMatch(/只有管理员/);
    const ok = await say("ou_admin", "/绑定群 渝中区卫健委", { group: true, chatId: "oc_unit_chat" });
    expect(textOf(ok[0]!)).toContain("区卫健委（重庆市渝中区）");
    const sup = await say("ou_admin", "/绑定 督办", { group: true, chatId: "oc_office" });
    expect(textOf(sup[0]!)).toContain("督办群");
    const chats = await bot.store.db.selectFrom("chats").select(["chat_id", "kind"]).where("chat_id", "in", ["oc_unit_chat", "oc_office"]).orderBy("chat_id").execute();
    expect(chats).toEqual([{ chat_id: "oc_office", kind: "supervisor" }, { chat_id: "oc_unit_chat", kind: "unit" }]);
  });

  it("asks which one when a unit name belongs to two governments", async () => {
    const [r] = await say("ou_newcomer2", "/绑定 区卫健委");
    const text = textOf(r!);
    expect(text).toContain("重庆市渝中区");
    expect(text).toContain("重庆市大足区");
  });
});

describe("events for chats the bot does not know", () => {
  it("/周报 in an unbound chat from an unbound user says how to bind, and stores nothing", async () => {
    const count = async () => Number((await bot.store.db.selectFrom("chats").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const chats = await count();
    const [r] = await say("ou_nobody", "/周报", { group: true, chatId: "oc_unknown_chat" });
    expect(r!.path).toBe("/open-apis/ephemeral/v1/send");
    expect(textOf(r!)).toContain("/绑定群 单位名称");
    expect(await count()).toBe(chats);
  });
});

describe("one message cannot stall the bot (security finding 3)", () => {
  it("a run of spaces reads as one; a message over 500 characters gets a short refusal and is not parsed", async () => {
    const [form] = await say(yuzhong, "/上报" + " ".repeat(300) + "\u3000".repeat(100) + "签约");
    expect(textOf(form!)).toContain("指标填报");
    expect(textOf(form!)).toContain("签约");
    const [long] = await say(yuzhong, "/上报" + " ".repeat(40_000) + "x");
    expect(textOf(long!)).toContain("消息太长（40004 字）");
    expect(textOf(long!)).toContain("500 字以内");
  });

  it("a unit name over 40 characters is no unit and no suggestion (区 × 400 answers at once)", async () => {
    expect(await findUnits(bot.store.db, "区".repeat(8000))).toEqual([]);
    const [r] = await say("ou_stranger", "/绑定 " + "区".repeat(400));
    expect(textOf(r!)).toContain("没有找到单位");
  });
});

describe("what /指标 and /进度 show, and to whom (security finding 4)", () => {
  it("/指标 from someone with no unit shows no values, only how to get bound", async () => {
    const [r] = await say("ou_stranger", "/指标 覆盖率", { group: true });
    expect(r!.path).toBe("/open-apis/ephemeral/v1/send");
    expect(textOf(r!)).toContain("还不知道您属于哪个单位");
    expect(textOf(r!)).not.toContain("家庭医生签约服务重点人群覆盖率");
  });

  it("a unit's /指标 finds only its own measures' indicators; the supervising office finds every one", async () => {
    const { unitTasks } = await import("../src/domain/tasks.js");
    const unit = await bot.store.db.selectFrom("units").selectAll().where("name", "=", "区卫健委").where("jurisdiction", "=", "重庆市渝中区").executeTakeFirstOrThrow();
    const own = new Set((await unitTasks(bot.store.db, unit, new Date())).map((t) => t.id));
    const other = await bot.store.db.selectFrom("indicators").select(["name", "task_id"]).where("retired_at", "is", null).execute();
    const foreign = other.find((i) => !own.has(i.task_id) && !other.some((o) => own.has(o.task_id) && o.name.includes(i.name)))!;
    const [theirs] = await say(yuzhong, `/指标 ${foreign.name}`);
    expect(textOf(theirs!)).toContain("本单位任务中没有");
    const [all] = await say("ou_demo_supervisor", `/指标 ${foreign.name}`);
    expect(textOf(all!)).toContain(foreign.name);
  });

  it("an admin's /进度 in an ordinary group reaches only the admin; 公开 posts it to the group", async () => {
    const [priv] = await say("ou_admin", "/进度", { group: true, chatId: "oc_ordinary" });
    expect(priv!.path).toBe("/open-apis/ephemeral/v1/send");
    expect(priv!.body.open_id).toBe("ou_admin");
    expect(textOf(priv!)).toContain("全部单位进度");
    const [pub] = await say("ou_admin", "/进度 公开", { group: true, chatId: "oc_ordinary" });
    expect(pub!.path).toMatch(/\/reply$/);
    expect(textOf(pub!)).toContain("全部单位进度");
    const [ind] = await say("ou_admin", "/指标 覆盖率", { group: true, chatId: "oc_ordinary" });
    expect(ind!.path).toBe("/open-apis/ephemeral/v1/send");
  });
});
