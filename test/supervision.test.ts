import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cuibanCard, timelineCard, urgentNoticeCard } from "../cards/cuiban.js";
import { supervisorDigestCard } from "../cards/digest.js";
import { fixedClock } from "../src/clock.js";
import { buttonsOf } from "../src/local/chat-client.js";
import { renderCard } from "../src/local/render.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { menuEvent, type startTestServer } from "./support/events.js";
import { lintCard } from "./support/card-lint.js";
import type { OpenPlatform } from "./support/open-platform.js";
import { cardOf, chatWith, textOf } from "./support/chat.js";
import { startYuzhongBot } from "./support/yuzhong-bot.js";

/** 督办 loop, slice 1: 催办 from /进度, the repeat guard, the urgent call from the second one, and the record. */
let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;
let fixture: Awaited<ReturnType<typeof startYuzhongBot>>;
let yuzhong: string; // demo member of 区卫健委（重庆市渝中区）
let yuzhongUnitId: number;
const SUPERVISOR = "ou_demo_supervisor";
const UNIT_CHAT = "oc_yuzhong_health";
// Tuesday 2026-11-24 10:00 China time.
const clock = fixedClock("2026-11-24T02:00:00Z");

beforeAll(async () => {
  fixture = await startYuzhongBot(clock, { id: UNIT_CHAT, boundAt: "2026-11-01" });
  ({ lark, bot, member: yuzhong } = fixture);
  yuzhongUnitId = fixture.unit.id;
});
afterAll(() => fixture.close());

const buttons = (card: any): any[] => buttonsOf(card).map((b) => b.value);

const chat = chatWith(() => bot, () => lark, { clock });
const say = chat.say;
/** A click (in the supervisor's chat unless another is named): the callback's answer and every send it caused. */
const click = (openId: string, value: Record<string, unknown>, o: { chatId?: string; formValue?: Record<string, unknown> } = {}) =>
  chat.press(openId, value, { chatId: o.chatId ?? "oc_demo_supervisor", formValue: o.formValue });

const events = () => bot.store.db.selectFrom("supervision_events").selectAll().orderBy("id").execute();
const deliveries = () => bot.store.db.selectFrom("supervision_deliveries").selectAll().orderBy("id").execute();

describe("催办 from /进度", () => {
  it("gives the supervisor a 催办 button per lagging unit, and a unit's own view none", async () => {
    const [all] = await say(SUPERVISOR, "/进度", { group: true, chatId: "oc_demo_supervisor" });
    const cuiban = buttons(cardOf(all!)).filter((v) => v.action === "cuiban");
    expect(cuiban.map((v) => v.unit_id)).toContain(yuzhongUnitId);
    expect(textOf(all!)).toContain("[催办]");
    expect(lintCard(cardOf(all!)).problems).toEqual([]);
    const [own] = await say(yuzhong, "/进度");
    expect(buttons(cardOf(own!)).filter((v) => v.action === "cuiban")).toEqual([]);
  });

  it("refuses a non-supervisor's click with a Chinese toast, and records nothing", async () => {
    const { body, sent } = await click(yuzhong, { action: "cuiban", unit_id: yuzhongUnitId });
    expect(body.toast).toEqual({ type: "error", content: expect.stringContaining("只有督办室") });
    expect(sent).toEqual([]);
    expect(await events()).toEqual([]);
  });

  it("sends the unit's chat a 催办 card: who asks, what is missing, by when, with 上报 buttons; and records it", async () => {
    const { body, sent } = await click(SUPERVISOR, { action: "cuiban", unit_id: yuzhongUnitId });
    expect(body.toast?.type).toBe("success");
    expect(body.toast?.content).toMatch(/已催办 区卫健委：\d+ 项，发往本单位群/);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.receive_id).toBe(UNIT_CHAT);
    const text = textOf(sent[0]!);
    expect(lintCard(cardOf(sent[0]!)).problems).toEqual([]);
    expect(text).toContain("催办 · 区卫健委（重庆市渝中区）");
    expect(text).toContain(`督办室 @${SUPERVISOR} 催办`);
    expect(text).toContain("请于 2026年11月27日 前完成上报"); // 3 days by default
    expect(text).toContain("2026年第4季度未填报（本期截至 2026年12月31日）");
    const report = buttons(cardOf(sent[0]!)).filter((v) => v.action === "cuiban_report");
    expect(report.length).toBeGreaterThan(0);
    expect(report.every((v) => v.unit_id === yuzhongUnitId)).toBe(true);
    expect(lark.urgent.calls).toEqual([]); // the first 催办 is not urgent

    const [e] = await events();
    expect(e).toMatchObject({ kind: "cuiban", actor_open_id: SUPERVISOR, unit_id: yuzhongUnitId, created_at: "2026-11-24T02:00:00.000Z" });
    expect(JSON.parse(e!.recipients)).toEqual([UNIT_CHAT]);
    const asked = Number(/：(\d+) 项/.exec(body.toast!.content)![1]);
    expect(JSON.parse(e!.items)).toHaveLength(asked);
    // A card holds at most 15 item rows; the rest are counted, not dropped silently.
    expect(report).toHaveLength(Math.min(15, asked));
    if (asked > 15) expect(text).toContain(`另有 ${asked - 15} 项`);
    expect(await deliveries()).toMatchObject([{ event_id: e!.id, target: UNIT_CHAT, result: "sent", message_id: expect.stringMatching(/^om_sent_/) }]);
  });

  it("refuses a second 催办 on the same items within the interval, naming the time of the last one", async () => {
    clock.advance(3600_000);
    const { body, sent } = await click(SUPERVISOR, { action: "cuiban", unit_id: yuzhongUnitId });
    expect(body.toast?.content).toContain("同一事项已于 2026-11-24 10:00 催办过");
    expect(body.toast?.content).toContain("2026-11-25 10:00 后可再次催办");
    expect(sent).toEqual([]);
    expect(await events()).toHaveLength(1);
  });

  it("lets a member report from the 催办 card: the form comes only to them, and the value is stored", async () => {
    const [cuibanSend] = lark.sends().filter((r) => r.body?.receive_id === UNIT_CHAT);
    const value = buttons(cardOf(cuibanSend!)).find((v) => v.action === "cuiban_report")!;
    const stranger = await click("ou_someone_else", value, { chatId: UNIT_CHAT });
    expect(stranger.body.toast?.content).toContain("不属于被催办的单位");
    const { body, sent } = await click(yuzhong, value, { chatId: UNIT_CHAT });
    expect(body.toast?.content).toContain("仅您可见");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe("/open-apis/ephemeral/v1/send");
    expect(sent[0]!.body).toMatchObject({ chat_id: UNIT_CHAT, open_id: yuzhong });
    const form = cardOf(sent[0]!).body.elements.find((e: any) => e.tag === "form");
    const select = form.elements.find((e: any) => e.tag === "select_static");
    expect(select.options[select.initial_index - 1].value).toBe(String(value.indicator_id));
    const submit = form.elements.find((e: any) => e.tag === "button").behaviors[0].value;
    const done = await click(yuzhong, submit, { chatId: UNIT_CHAT, formValue: { indicator: String(value.indicator_id), value: "3", period: "2026Q4" } });
    expect(done.body.toast?.type).toBe("success");
    const stored = await bot.store.db.selectFrom("reports").selectAll().where("indicator_id", "=", value.indicator_id).execute();
    expect(stored).toHaveLength(1);
  });

  it("from the second 催办 on also sends Feishu's in-app urgent notification for that card to the unit's members", async () => {
    clock.set("2026-11-25T03:00:00Z");
    const { body, sent } = await click(SUPERVISOR, { action: "cuiban", unit_id: yuzhongUnitId });
    expect(body.toast?.content).toContain("第 2 次催办，已加急");
    const card = sent.find((r) => r.body?.receive_id === UNIT_CHAT)!;
    expect(textOf(card)).toContain("第 2 次催办");
    const urgent = sent.find((r) => r.path.endsWith("/urgent_app"))!;
    expect(urgent.method).toBe("PATCH");
    expect(urgent.query).toEqual({ user_id_type: "open_id" });
    expect(urgent.body).toEqual({ user_id_list: [yuzhong] });
    const cardMessageId = (await deliveries()).at(-2)!.message_id;
    expect(urgent.path).toBe(`/open-apis/im/v1/messages/${cardMessageId}/urgent_app`);
    expect(lark.urgent.calls).toEqual([{ messageId: cardMessageId, userIds: [yuzhong] }]);
    const kinds = (await events()).map((e) => e.kind);
    expect(kinds).toEqual(["cuiban", "cuiban", "urgent"]);
    expect((await deliveries()).at(-1)).toMatchObject({ result: "sent", message_id: cardMessageId });
  });

  it("records a refused urgent call (scope im:message.urgent missing) as a failed delivery, the 催办 itself delivered", async () => {
    lark.urgent.scopeGranted = false;
    clock.set("2026-11-26T03:00:00Z");
    const { body } = await click(SUPERVISOR, { action: "cuiban", unit_id: yuzhongUnitId });
    expect(body.toast?.content).toContain("第 3 次催办");
    const last = (await deliveries()).slice(-2);
    expect(last.map((d) => d.result)).toEqual(["sent", "failed"]);
    expect(last[1]!.error).toContain("230027");
    lark.urgent.scopeGranted = true;
  });

  it("sends privately to each member when the unit has no bound chat; 上报 there opens the form in place", async () => {
    const [progress] = await say(SUPERVISOR, "/进度", { group: true, chatId: "oc_demo_supervisor" });
    const other = buttons(cardOf(progress!)).find((v) => v.action === "cuiban" && v.unit_id !== yuzhongUnitId)!;
    const unit = await bot.store.db.selectFrom("units").selectAll().where("id", "=", other.unit_id).executeTakeFirstOrThrow();
    const member = await demoOpenIdForUnit(unit.jurisdiction, unit.name);
    const { body, sent } = await click(SUPERVISOR, other);
    expect(body.toast?.content).toContain("1 位成员（未绑定群，私信发送）");
    expect(sent[0]!.query).toEqual({ receive_id_type: "open_id" });
    expect(sent[0]!.body.receive_id).toBe(member);
    expect(buttons(cardOf(sent[0]!)).some((v) => v.action === "open_report_form")).toBe(true);
  });
});

describe("留痕", () => {
  it("/记录 单位 shows the supervisor the unit's timeline with delivery results and reports; others are refused", async () => {
    const [r] = await say(SUPERVISOR, "/记录 渝中区卫健委");
    const text = textOf(r!);
    expect(text).toContain("督办记录 · 区卫健委（重庆市渝中区）");
    expect(text.match(/催办　@ou_demo_supervisor/g)).toHaveLength(3);
    expect(text).toContain("加急");
    expect(text).toContain("上报");
    expect(text).toContain("2026-11-24 10:00");
    expect(text).toMatch(/失败 1：.*230027/);
    const [refused] = await say(yuzhong, "/记录 渝中区卫健委");
    expect(textOf(refused!)).toContain("只有督办室");
  });

  it("cannot be edited or deleted, not even with SQL", async () => {
    await expect(sql`UPDATE supervision_events SET actor_open_id = 'ou_x'`.execute(bot.store.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM supervision_events`.execute(bot.store.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM supervision_deliveries`.execute(bot.store.db)).rejects.toThrow(/append-only/);
    expect((await events()).length).toBeGreaterThanOrEqual(4);
  });
});

describe("多次催办未落实", () => {
  it("the supervisor digest lists items pushed twice or more without a report since, with the dates, until reported", async () => {
    const [d] = await say(SUPERVISOR, "/周报", { group: true, chatId: "oc_demo_supervisor" });
    const text = textOf(d!);
    expect(text).toContain("多次催办未落实");
    const line = /· 区卫健委（渝中区）· (.+?)：催办 3 次（11\/24、11\/25、11\/26），仍未上报/.exec(text);
    expect(line).not.toBeNull();
    expect(lintCard(cardOf(d!)).problems).toEqual([]);
    // A report of that indicator is what 落实 means: the line goes.
    const ind = await bot.store.db.selectFrom("indicators").select(["id"]).where("name", "=", line![1]!.replace(/\\/g, "")).executeTakeFirstOrThrow();
    await bot.store.db.insertInto("reports").values({ indicator_id: ind.id, unit_id: yuzhongUnitId, period: "2026Q4", value: 1, reporter_open_id: yuzhong, reported_at: clock.now().toISOString(), note: null, request_key: null }).execute();
    const [after] = await say(SUPERVISOR, "/周报", { group: true, chatId: "oc_demo_supervisor" });
    expect(textOf(after!)).not.toContain(`${line![1]}：催办 3 次`);
  });
});

describe("通报", () => {
  it("is for supervisors only", async () => {
    const [r] = await say(yuzhong, "/通报");
    expect(textOf(r!)).toContain("只有督办室人员可以发布通报");
  });

  it("shows the supervisor a preview only they see; 取消 posts nothing, 确认通报 posts once to the supervising chat and records it", async () => {
    const task = await bot.store.db.selectFrom("task_units").innerJoin("tasks", "tasks.id", "task_units.task_id").select(["tasks.id", "tasks.code"])
      .where("task_units.unit_id", "=", yuzhongUnitId).where("task_units.role", "=", "lead").orderBy("tasks.id").executeTakeFirstOrThrow();
    await bot.store.db.updateTable("tasks").set({ deadline: "2026-11-01", deadline_text: "2026年11月1日前" }).where("id", "=", task.id).execute();
    const preview = await say(SUPERVISOR, "/通报", { group: true, chatId: "oc_demo_supervisor" });
    expect(preview.map((r) => r.path)).toEqual(["/open-apis/ephemeral/v1/send"]);
    expect(preview[0]!.body.open_id).toBe(SUPERVISOR);
    const text = textOf(preview[0]!);
    expect(text).toContain("通报预览（尚未发出）");
    expect(text).toContain("督办室工作群");
    expect(text).toContain(`措施 ${task.code}`);
    expect(lintCard(cardOf(preview[0]!)).problems).toEqual([]);
    const values = buttons(cardOf(preview[0]!));
    const confirm = values.find((v) => v.action === "tongbao_confirm")!;
    const cancel = values.find((v) => v.action === "tongbao_cancel")!;

    const cancelled = await click(SUPERVISOR, cancel);
    expect(cancelled.body.toast?.content).toContain("未发出");
    expect(cancelled.sent).toEqual([]);

    expect((await click(yuzhong, confirm)).body.toast?.content).toContain("只有督办室");
    const posted = await click(SUPERVISOR, confirm);
    expect(posted.body.toast?.type).toBe("success");
    expect(posted.sent.map((r) => r.body?.receive_id)).toEqual(["oc_demo_supervisor"]);
    const card = cardOf(posted.sent[0]!);
    expect(card.header.title.content).toBe("督办通报 · 逾期事项");
    expect(renderCard(card)).toContain("区卫健委（渝中区）");
    expect(lintCard(card).problems).toEqual([]);
    const again = await click(SUPERVISOR, confirm);
    expect(again.body.toast?.content).toContain("已经发出");
    expect(again.sent).toEqual([]);

    const tb = (await events()).filter((e) => e.kind === "tongbao");
    expect(tb[0]).toMatchObject({ unit_id: null, actor_open_id: SUPERVISOR, recipients: JSON.stringify(["oc_demo_supervisor"]) });
    expect(tb.slice(1).map((e) => e.ref_event_id)).toEqual(tb.slice(1).map(() => tb[0]!.id));
    expect(tb.some((e) => e.unit_id === yuzhongUnitId)).toBe(true);
    const [timeline] = await say(SUPERVISOR, "/记录 渝中区卫健委");
    expect(textOf(timeline!)).toMatch(/通报　@ou_demo_supervisor → 1 个对象　被通报：逾期 \d+ 项　‹已送达 1›/);
  });
});

describe("催办 from the supervisor digest", () => {
  it("gives lagging units the /进度 催办 button in the supervising chat's digest and a supervisor's own; an admin's copy has none", async () => {
    const [digest] = await say(SUPERVISOR, "/周报", { group: true, chatId: "oc_demo_supervisor" });
    const fromDigest = buttons(cardOf(digest!)).filter((v) => v.action === "cuiban");
    expect(fromDigest.length).toBeGreaterThan(0);
    expect(lintCard(cardOf(digest!)).problems).toEqual([]);
    const [progress] = await say(SUPERVISOR, "/进度", { group: true, chatId: "oc_demo_supervisor" });
    const fromProgress = buttons(cardOf(progress!)).filter((v) => v.action === "cuiban");
    // The same value, so the same handler and rules: every unit offered in the digest is offered in /进度 too.
    for (const v of fromDigest) expect(fromProgress).toContainEqual(v);
    const [privately] = await say(SUPERVISOR, "/周报");
    expect(buttons(cardOf(privately!)).filter((v) => v.action === "cuiban")).toEqual(fromDigest);
    const [admin] = await say("ou_demo_admin", "/周报");
    expect(textOf(admin!)).toContain("督办周报 · 全部单位");
    expect(buttons(cardOf(admin!)).filter((v) => v.action === "cuiban")).toEqual([]);
  });

  it("a digest 催办 is refused for a non-supervisor, sent for a supervisor, and refused again within the interval", async () => {
    const pushed = new Set((await events()).filter((e) => e.kind === "cuiban").map((e) => e.unit_id));
    const [digest] = await say(SUPERVISOR, "/周报", { group: true, chatId: "oc_demo_supervisor" });
    const value = buttons(cardOf(digest!)).find((v) => v.action === "cuiban" && !pushed.has(v.unit_id))!;
    const before = (await events()).length;
    const refused = await click(yuzhong, value);
    expect(refused.body.toast).toEqual({ type: "error", content: expect.stringContaining("只有督办室") });
    expect(await events()).toHaveLength(before);
    const unit = await bot.store.db.selectFrom("units").selectAll().where("id", "=", value.unit_id).executeTakeFirstOrThrow();
    const done = await click(SUPERVISOR, value);
    expect(done.body.toast?.content).toContain(`已催办 ${unit.name}`);
    expect(done.sent.length).toBeGreaterThan(0);
    expect((await events()).at(-1)).toMatchObject({ kind: "cuiban", unit_id: unit.id, actor_open_id: SUPERVISOR });
    const again = await click(SUPERVISOR, value);
    expect(again.body.toast?.content).toContain("小时内不重复催办");
    expect(again.sent).toEqual([]);
  });
});

describe("督办 cards", () => {
  const unit = { id: 7, jurisdiction: "重庆市渝中区", name: "区卫健委", kind: "unit" as const };
  it("stay within Feishu's documented card schema, 200 elements and 30 KB at their largest", () => {
    const items = Array.from({ length: 60 }, (_, k) => ({
      key: `indicator:${k}@2026Q4`, indicatorId: k, reason: (k % 2 ? "missing" : "overdue") as "missing" | "overdue",
      name: `家庭医生签约服务重点人群覆盖率及基层医疗卫生机构服务能力提升指标第${k}项`, text: "2026年第4季度未填报（本期截至 2026年12月31日）",
    }));
    for (const privateSend of [true, false]) {
      const c = cuibanCard({ unit, actorOpenId: SUPERVISOR, items, due: "2026年11月27日", count: 3, privateSend, issuedAt: "2026-11-24T02:00:00Z" });
      expect(lintCard(c).problems).toEqual([]);
    }
    const entries = Array.from({ length: 30 }, (_, k) => ({
      at: `2026-11-${String(1 + (k % 28)).padStart(2, "0")}T02:00:00Z`, kind: (["cuiban", "urgent", "report"] as const)[k % 3]!, actorOpenId: SUPERVISOR,
      recipients: [UNIT_CHAT], itemCount: 20, summary: "20 项：家庭医生签约服务重点人群覆盖率、基层医疗卫生机构服务能力提升等".repeat(2),
      deliveries: [{ target: UNIT_CHAT, result: "failed" as const, error: "400 230027 Lack of necessary permissions." }],
    }));
    expect(lintCard(timelineCard(unit, entries)).problems).toEqual([]);
    expect(lintCard(urgentNoticeCard(unit, Array.from({ length: 50 }, (_, k) => `ou_member_${k}`), 2)).problems).toEqual([]);
  });

  it("the supervisor digest with 300 lagging units stays within the limits and counts the units left without a button", () => {
    const long = "家庭医生签约服务重点人群覆盖率及基层医疗卫生机构服务能力提升";
    const rows = Array.from({ length: 300 }, (_, k) => ({
      unitId: k + 1, unitName: `某某区卫生健康委员会第${k}分局`, jurisdiction: "重庆市渝中区", indicators: 40, completeness: k / 400,
      counts: { achieved: 1, on_track: 2, behind: 10, overdue: 12, not_reported: 15 },
    }));
    const d = {
      week: "2026-W49", rows,
      behind: Array.from({ length: 40 }, (_, k) => ({ name: `${long}${k}`, unitName: `单位${k}`, text: `2027年目标 ≥81%，基线 80%（2023年），按进度本期应达 80.6%，当前 ${k}%` })),
      escalated: Array.from({ length: 40 }, (_, k) => ({ unitId: k, unitName: `单位${k}`, jurisdiction: "重庆市渝中区", indicatorId: k, name: `${long}${k}`, dates: ["2026-11-24T02:00:00Z", "2026-11-25T02:00:00Z", "2026-11-26T02:00:00Z"] })),
      unreportable: Array.from({ length: 40 }, (_, k) => ({ unitId: 1000 + k, unitName: `某某街道第${k}分组`, jurisdiction: "重庆市渝中区", reason: "group_empty" as const, measures: 12, indicators: [`${long}甲`, `${long}乙`, `${long}丙`, `${long}丁`] })),
    };
    const c = supervisorDigestCard(d, { cuiban: true });
    expect(lintCard(c).problems).toEqual([]);
    const shown = buttons(c).filter((v) => v.action === "cuiban");
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(15);
    // Least complete first: the first rows of the league table's bottom carry the buttons.
    expect(shown[0]!.unit_id).toBe(1);
    expect(renderCard(c)).toContain(`另有 ${300 - shown.length} 个单位，发送 /进度 单位名称 逐个催办`);
    expect(renderCard(c)).toContain("另有 30 个单位或分组（120 个指标）");
    expect(buttons(supervisorDigestCard(d)).filter((v) => v.action === "cuiban")).toEqual([]);
  });
});

describe("one-tap menu (application.bot.menu_v6)", () => {
  const tap = (openId: string, eventKey: string, eventId?: string) => chat.deliver(menuEvent({ openId, eventKey, eventId }), eventKey);

  it("runs the command of the tapped entry and answers the user in their chat with the bot", async () => {
    const { sent } = await tap(yuzhong, "my_tasks");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe("/open-apis/im/v1/messages");
    expect(sent[0]!.body).toMatchObject({ receive_id: yuzhong });
    expect(sent[0]!.query.receive_id_type).toBe("open_id");
    const typed = await say(yuzhong, "/我的任务");
    expect(cardOf(sent[0]!).header.title.content).toBe(cardOf(typed[0]!).header.title.content);
  });

  it("accepts a command name as the key, runs a repeated delivery once, and answers an unknown key with a hint", async () => {
    const first = await tap(SUPERVISOR, "进度", "evm_fixed_1");
    expect(cardOf(first.sent[0]!).header.title.content).toContain("进度");
    const again = await tap(SUPERVISOR, "进度", "evm_fixed_1");
    expect(again.body).toEqual({ msg: "duplicate" });
    expect(again.sent).toEqual([]);
    const unknown = await tap(yuzhong, "no_such_entry");
    expect(textOf(unknown.sent[0]!)).toContain("菜单配置");
  });
});
