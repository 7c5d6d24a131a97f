import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clockStartingAt } from "../src/clock.js";
import { renderCard } from "../src/local/render.js";
import { applyRoster, parseRoster, RosterError } from "../src/store/roster.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { larkEnv, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";
import { cardOf, chatWith, textOf } from "./support/chat.js";

// Issue 12 (4, 6): group-led indicators are reportable by the group's members from the roster, and listed under
// 无人可填报 until a group has members; an official bound to two units picks which one a command is for.
const clock = clockStartingAt("2026-11-24T02:00:00.000Z");
let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  lark = await startOpenPlatform();
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", clock, demoRoster: true });
});
afterAll(async () => {
  await bot.close();
  await lark.close();
});

const chat = chatWith(() => bot, () => lark, { clock });
/** What the sender reads in answer, as the terminal chat shows it. */
const say = async (openId: string, text: string) => (await chat.say(openId, text)).map(textOf);
async function formSubmit(openId: string, keyword: string) {
  const before = lark.sends().length;
  await say(openId, `/上报 ${keyword}`);
  const form = cardOf(lark.sends()[before]!).body.elements.find((e: any) => e.tag === "form");
  return form.elements.find((e: any) => e.tag === "button").behaviors[0].value as Record<string, unknown>;
}
const callback = (openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => chat.click(openId, value, { formValue });

describe("无人可填报 in the supervisor's views", () => {
  it("lists a group without members and a unit without an official, with why and how to fix, until someone can report", async () => {
    const db = bot.store.db;
    const unit = await db.selectFrom("units").innerJoin("task_units", "task_units.unit_id", "units.id").innerJoin("indicators", "indicators.task_id", "task_units.task_id")
      .select(["units.id", "units.name", "units.jurisdiction"]).where("units.kind", "=", "unit").where("task_units.role", "=", "lead")
      .where("units.jurisdiction", "=", "重庆市渝中区").where("units.name", "!=", "区卫健委").orderBy("units.id").executeTakeFirstOrThrow();
    const line = `${unit.name}（${unit.jurisdiction}）：还没有人绑定该单位`;
    const [before] = await say("ou_demo_supervisor", "/周报");
    expect(before).toContain("督办周报 · 全部单位");
    expect(before).toMatch(/无人可填报（1 个单位或分组牵头的 \d+ 个指标目前没有人能填报）/);
    expect(before).toMatch(/1\. 市级各相关部门（贵阳市）：分组，名册中还没有成员单位 · 牵头 \d+ 项措施、\d+ 个指标：/);
    expect(before).toContain("npm run roster");
    expect(before).not.toContain(line);

    // The unit's only official is removed: its indicators have nobody to report them, in the digest and in /进度.
    await db.deleteFrom("members").where("unit_id", "=", unit.id).execute();
    const [digest] = await say("ou_demo_supervisor", "/周报");
    expect(digest).toMatch(/无人可填报（2 个单位或分组/);
    expect(digest).toContain(line);
    const [progress] = await say("ou_demo_supervisor", "/进度");
    expect(progress).toContain(line);
    expect(progress).toContain("/绑定 单位名称");

    // The operator names an official for it: the line goes.
    await applyRoster(db, parseRoster(JSON.stringify({ members: [{ open_id: "ou_test_back", role: "member", unit: unit.name, jurisdiction: unit.jurisdiction }] })), clock);
    const [after] = await say("ou_demo_supervisor", "/周报");
    expect(after).not.toContain(line);
    expect(after).toMatch(/无人可填报（1 个单位或分组/);
  });
});

describe("groups from the roster", () => {
  it("a street office named in the roster's 各街道 sees the measures assigned to 各街道", async () => {
    const street = await demoOpenIdForUnit("重庆市渝中区", "解放碑街道");
    const [card] = await say(street, "/我的任务");
    expect(card).toContain("解放碑街道");
    expect(card).toContain("各街道");
    expect(card).toMatch(/夯实医疗卫生服务网底/);
  });

  it("the supervisor's /进度 lists a group's indicators under 无人可填报 until the roster names its members, then they can be reported", async () => {
    const [before] = await say("ou_demo_supervisor", "/进度");
    expect(before).toContain("无人可填报");
    expect(before).toContain("市级各相关部门（贵阳市）");

    const roster = parseRoster(JSON.stringify({
      members: [{ open_id: "ou_test_gy_health", role: "member", unit: "市卫生健康局", jurisdiction: "贵阳市", name: "贵阳卫健" }],
      groups: [{ jurisdiction: "贵阳市", group: "市级各相关部门", members: ["市卫生健康局"] }],
    }));
    const first = await applyRoster(bot.store.db, roster, clock);
    expect(first).toMatchObject({ members: 1, groupMembers: 1, unitsCreated: [], skipped: [] });
    // Applying the same roster again changes nothing.
    expect(await applyRoster(bot.store.db, roster, clock)).toMatchObject({ members: 0, groupMembers: 0, chats: 0 });

    const led = await bot.store.db
      .selectFrom("indicators").innerJoin("task_units", "task_units.task_id", "indicators.task_id").innerJoin("units", "units.id", "task_units.unit_id")
      .select(["indicators.id", "indicators.name"]).where("units.name", "=", "市级各相关部门").where("task_units.role", "=", "lead").executeTakeFirstOrThrow();
    const [after] = await say("ou_test_gy_health", `/上报 ${led.name}`);
    expect(after).toContain(`${led.id}: ${led.name}`);

    const submit = await formSubmit("ou_test_gy_health", led.name);
    const res = await callback("ou_test_gy_health", submit, { indicator: String(led.id), value: "3", period: "2026Q4" });
    expect(res.toast).toEqual({ type: "success", content: "已记录" });
    const stored = await bot.store.db.selectFrom("reports").innerJoin("units", "units.id", "reports.unit_id").select(["units.name", "reports.value"]).where("reports.indicator_id", "=", led.id).execute();
    expect(stored).toEqual([{ name: "市卫生健康局", value: 3 }]);

    const [progress] = await say("ou_demo_supervisor", "/进度");
    expect(progress).not.toContain("无人可填报");
    expect(progress).toContain("市级各相关部门（贵阳市）");
  });

  it("a roster naming a group no plan has, or a member name shared by two offices, is skipped with the reason", async () => {
    const r = await applyRoster(bot.store.db, parseRoster(JSON.stringify({ groups: [{ jurisdiction: "重庆市渝中区", group: "各乡镇", members: ["某某镇"] }] })), clock);
    expect(r.skipped).toEqual(["重庆市渝中区 各乡镇（没有导入过以它为责任单位的方案）"]);
    expect(await bot.store.db.selectFrom("units").select("id").where("name", "=", "某某镇").execute()).toEqual([]);
  });

  it("refuses a malformed roster naming the entry that is wrong, before anything is written", () => {
    expect(() => parseRoster("{")).toThrow(RosterError);
    expect(() => parseRoster(JSON.stringify({ groups: [{ jurisdiction: "贵阳市", group: "市级各相关部门", members: [] }] }))).toThrow(/groups\.0\.members/);
    expect(() => parseRoster(JSON.stringify({ members: [{ open_id: "not-an-open-id", role: "member" }] }))).toThrow(/members\.0\.open_id/);
    expect(() => parseRoster(JSON.stringify({ members: [], typo: 1 }))).toThrow(RosterError);
  });
});

describe("an official of two units", () => {
  const official = "ou_test_two_units";
  beforeAll(async () => {
    await applyRoster(bot.store.db, parseRoster(JSON.stringify({ members: [
      { open_id: official, role: "member", unit: "区卫健委", jurisdiction: "重庆市渝中区" },
      { open_id: official, role: "member", unit: "区医保局", jurisdiction: "重庆市渝中区" },
    ] })), clock);
  });

  it("gets one /我的任务 card with a switch to the other unit, and names the unit to pick it", async () => {
    const before = lark.sends().length;
    const [first] = await say(official, "/我的任务");
    expect(first).toContain("我的任务 · 区卫健委（重庆市渝中区）");
    expect(first).toContain("[切换到 区医保局]");
    expect(lark.sends().length - before).toBe(1);
    const switchTo = JSON.stringify(cardOf(lark.sends()[before]!)).match(/"切换到 区医保局"\},"type":"default","size":"small","behaviors":\[\{"type":"callback","value":(\{[^}]*\})/);
    const res = await callback(official, JSON.parse(switchTo![1]!));
    expect(renderCard(res.card!.data)).toContain("我的任务 · 区医保局（重庆市渝中区）");
    const [named] = await say(official, "/我的任务 区医保局");
    expect(named).toContain("我的任务 · 区医保局（重庆市渝中区）");
    expect(named).toContain("[切换到 区卫健委]");
  });

  it("/上报 区医保局 opens that unit's form and says which unit it is for; another office's name is refused", async () => {
    const [form] = await say(official, "/上报 区医保局");
    expect(form).toContain("指标填报 · 区医保局（重庆市渝中区）");
    expect(form).toContain("这是 区医保局（重庆市渝中区） 的指标；您还绑定了 区卫健委");
    const [refused] = await say(official, "/我的任务 区财政局");
    expect(refused).toContain("您没有绑定到 区财政局（重庆市渝中区）");
    expect(refused).toContain("您的单位：区卫健委（重庆市渝中区）、区医保局（重庆市渝中区）");
  });

  it("asking again to join a unit already requested says it is waiting, without a second request", async () => {
    const asker = "ou_test_pending";
    await say(asker, "/绑定 渝中区卫健委");
    const [again] = await say(asker, "/绑定 渝中区卫健委");
    expect(again).toMatch(/申请已于 11月24日 \d\d:\d\d 提交，正在等待管理员确认/);
    expect(await bot.store.db.selectFrom("bind_requests").select("id").where("open_id", "=", asker).execute()).toHaveLength(1);
  });
});
