import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { supervisorDigestCard } from "../cards/digest.js";
import { readPageArg } from "../commands/my-tasks.js";
import { commands } from "../commands/index.js";
import { buildSupervisorDigest } from "../src/digest/build.js";
import { parseCommand } from "../src/events/parse-command.js";
import { renderCard } from "../src/local/render.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { APP, larkEnv, messageEvent, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";
import { lintCard } from "./support/card-lint.js";
import { exampleUnitName, unboundText } from "../src/domain/first-steps.js";
import { openSqlite } from "../src/store/sqlite.js";
import { findUnits } from "../src/store/units.js";
import { cardOf, chatWith, textOf } from "./support/chat.js";

// Conversations a new user has with the bot, each ending in words that say what to do next.
let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;
let yuzhong: string;

beforeAll(async () => {
  lark = await startOpenPlatform();
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", demoRoster: true });
  yuzhong = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
});
afterAll(async () => {
  await bot.close();
  await lark.close();
});

const valuesOf = (c: unknown, action: string) => [...JSON.stringify(c).matchAll(new RegExp(`\\{"action":"${action}"[^}]*\\}`, "g"))].map((m) => JSON.parse(m[0]));

// Every card these conversations produce must be one Feishu would accept: the harness lints each send.
const chat = chatWith(() => bot, () => lark, { lint: true });
const say = chat.say;
const click = (openId: string, value: Record<string, unknown>, chatId = "oc_chat") => chat.click(openId, value, { chatId });

describe("a newcomer's first messages", () => {
  // The /绑定 line the bot suggests, exactly as written on its card.
  const suggested = (text: string) => /(\/绑定 [^（）\s，。]+)/.exec(text)?.[1];

  it("a greeting gets who the bot is and the first step; following that step files a bind request", async () => {
    const [hello] = await say("ou_first_a", "你好");
    const text = textOf(hello!);
    expect(text).toContain("我是督办助手");
    expect(text).not.toContain("未知命令");
    expect(text).toContain("第一步：绑定您的单位");
    const step = suggested(text.slice(text.indexOf("第一步")));
    expect(step).toBeDefined();
    const sent = await say("ou_first_a", step!);
    expect(sent.map(textOf).join("\n")).toContain("已提交绑定申请");
    expect(await bot.store.db.selectFrom("bind_requests").select("id").where("open_id", "=", "ou_first_a").execute()).toHaveLength(1);
  });

  it("every refusal for an unbound user names a /绑定 example that names exactly one unit", async () => {
    for (const cmd of ["/我的任务", "/上报", "/进度", "/导出", "/周报", "/绑定"]) {
      const [r] = await say("ou_first_b", cmd);
      const step = suggested(textOf(r!).replace(/\/绑定 单位名称/g, ""));
      expect(step, cmd).toBeDefined();
      const answers = await say("ou_first_b", step!);
      // The first suggestion files the request; following the same suggestion again says it is still waiting.
      expect(answers.map(textOf).join("\n"), `${cmd} → ${step}`).toMatch(/已提交绑定申请|申请已于 .* 提交，正在等待管理员确认/);
    }
  });

  it("a name that matches no unit offers the units it probably meant as buttons", async () => {
    const [r] = await say("ou_first_c", "/绑定 渝中卫健委");
    expect(textOf(r!)).toContain("没有名称正好是“渝中卫健委”的单位");
    const picks = valuesOf(cardOf(r!), "bind_pick");
    expect(picks).toHaveLength(1);
    const done = await click("ou_first_c", picks[0]!);
    expect(renderCard(done.card!.data)).toContain("区卫健委（重庆市渝中区）");
    const [loose] = await say("ou_first_c", "/绑定 卫健委");
    expect(textOf(loose!)).toMatch(/区卫健委（重庆市渝中区）[\s\S]*区卫生健康委（重庆市大足区）/);
    const [none] = await say("ou_first_c", "/绑定 气象局");
    expect(textOf(none!)).toMatch(/没有找到单位“气象局”.*例如 \/绑定 \S+/);
  });

  it("/帮助 says who the user is and what the group is bound to; /帮助 上报 explains that command alone", async () => {
    const [member] = await say(yuzhong, "/帮助");
    expect(textOf(member!)).toContain("您是 区卫健委（重庆市渝中区） 的成员");
    expect(textOf(member!)).not.toContain("第一步");
    const [inGroup] = await say("ou_admin", "/帮助", { group: true, chatId: "oc_help_group" });
    expect(inGroup!.path).toMatch(/ephemeral|reply/);
    expect(textOf(inGroup!)).toContain("本群尚未绑定单位：在本群 @督办助手 发送 /绑定群");
    const [one] = await say("ou_first_d", "/帮助 上报");
    expect(textOf(one!)).toContain("/上报");
    expect(textOf(one!)).not.toContain("/我的任务（");
    expect(textOf(one!)).not.toContain("未知命令");
  });

  it("in a tenant without the demo's units the examples name one of its own units, spelled to match exactly one", async () => {
    const other = openSqlite({ path: ":memory:" });
    await other.db.insertInto("units").values([
      { jurisdiction: "调兵山市", name: "市卫生健康局", kind: "unit" },
      { jurisdiction: "贵阳市", name: "市卫生健康局", kind: "unit" },
      { jurisdiction: "贵阳市", name: "各区（市、县）人民政府", kind: "group" },
    ]).execute();
    const example = await exampleUnitName(other.db);
    expect(example).toBe("调兵山市卫生健康局");
    expect((await findUnits(other.db, example)).map((u) => u.jurisdiction)).toEqual(["调兵山市"]);
    expect(await unboundText(other.db)).toContain("/绑定 调兵山市卫生健康局");
    expect(await unboundText(other.db)).not.toContain("渝中");
    await other.close();
  });

  it("a group the bot is added to is greeted once, with the /绑定群 line an admin types or what it is bound to", async () => {
    const added = (chatId: string, openId: string, eventId: string) => ({
      schema: "2.0",
      header: { event_id: eventId, event_type: "im.chat.member.bot.added_v1", create_time: String(Date.now()), token: APP.token, app_id: APP.id, tenant_key: "tk" },
      event: { chat_id: chatId, operator_id: { open_id: openId, union_id: "on_x" }, external: false, operator_tenant_key: "tk", name: "渝中区卫健委工作群" },
    });
    const post = async (env: unknown) => (await chat.deliver(env)).sent;
    const first = await post(added("oc_new_group", "ou_admin", "ev_added_1"));
    expect(first).toHaveLength(1);
    expect(first[0]!.body.receive_id).toBe("oc_new_group");
    expect(lintCard(cardOf(first[0]!)).problems).toEqual([]);
    const text = textOf(first[0]!);
    expect(text).toContain("督办助手已加入本群");
    const step = /\/绑定群 ([^（）\s，。]+)/.exec(text)?.[0];
    expect(step).toBeDefined();
    expect(await post(added("oc_new_group", "ou_admin", "ev_added_1"))).toEqual([]);
    // Following the greeting's own line binds the group.
    const [bound] = await say("ou_admin", step!, { group: true, chatId: "oc_new_group" });
    expect(textOf(bound!)).toContain("本群已绑定到");
    const again = await post(added("oc_new_group", yuzhong, "ev_added_2"));
    expect(textOf(again[0]!)).toMatch(/本群绑定到 .+：每周收到该单位的周报/);
    expect(textOf(again[0]!)).not.toContain("/绑定群 ");
  });

  it("a picture gets told the bot reads text, not 未知命令", async () => {
    const ev = messageEvent({ text: "", openId: "ou_first_e" });
    ev.event.message.message_type = "image";
    ev.event.message.content = JSON.stringify({ image_key: "img_x" });
    const text = textOf((await chat.deliver(ev)).sent[0]!);
    expect(text).toContain("我只能读文字消息");
    expect(text).not.toContain("未知命令");
  });
});

describe("binding", () => {
  it("the admin's card after 同意 / 拒绝 says whom they approved or refused, not the requester's words", async () => {
    const requestOf = async (who: string) => {
      const sent = await say(who, "/绑定 渝中区卫健委");
      const toAdmin = sent.find((r) => r.body?.receive_id === "ou_admin")!;
      return valuesOf(cardOf(toAdmin), "approve_bind")[0].request_id as number;
    };
    const approved = await click("ou_admin", { action: "approve_bind", request_id: await requestOf("ou_conv_a") });
    const a = renderCard(approved.card!.data);
    expect(a).toContain("已同意");
    expect(JSON.stringify(approved.card!.data)).toContain('<at id=\\"ou_conv_a\\"></at>');
    expect(a).not.toContain("您已绑定");
    const refused = await click("ou_admin", { action: "reject_bind", request_id: await requestOf("ou_conv_b") });
    const r = renderCard(refused.card!.data);
    expect(r).toContain("已拒绝");
    expect(r).not.toContain("如有疑问请联系管理员");
  });

  it("an ambiguous name offers its units as buttons; a click files the request for the one picked", async () => {
    const [r] = await say("ou_conv_c", "/绑定 区卫健委");
    const picks = valuesOf(cardOf(r!), "bind_pick");
    expect(picks.length).toBe(2);
    expect(textOf(r!)).toContain("重庆市大足区");
    expect(textOf(r!)).toContain("重庆市渝中区");
    expect(textOf(r!)).not.toContain("渝中区区卫健委");
    const dazu = await bot.store.db.selectFrom("units").selectAll().where("jurisdiction", "=", "重庆市大足区").where("id", "in", picks.map((p) => p.unit_id)).executeTakeFirstOrThrow();
    const done = await click("ou_conv_c", picks.find((p) => p.unit_id === dazu.id)!);
    expect(renderCard(done.card!.data)).toContain(`${dazu.name}（重庆市大足区）`);
    const req = await bot.store.db.selectFrom("bind_requests").selectAll().where("open_id", "=", "ou_conv_c").executeTakeFirstOrThrow();
    expect(req.unit_id).toBe(dazu.id);
  });

  it("a unit written as cards label it, 区卫健委（重庆市大足区）, names that one unit", async () => {
    const sent = await say("ou_label", "/绑定 区卫健委（重庆市大足区）");
    expect(sent.map(textOf).join("\n")).toContain("申请绑定到 区卫生健康委（重庆市大足区）");
    const [progress] = await say("ou_demo_supervisor", "/进度 区卫健委（重庆市渝中区）");
    expect(textOf(progress!)).toContain("进度 · 区卫健委（重庆市渝中区）");
    expect(textOf(progress!)).not.toContain("大足");
  });

  it("rebinding a group says what it was bound to; /绑定群 in a private chat is refused with where to do it", async () => {
    await say("ou_admin", "/绑定群 渝中区卫健委", { group: true, chatId: "oc_rebind" });
    const [again] = await say("ou_admin", "/绑定群 渝中区医保局", { group: true, chatId: "oc_rebind" });
    expect(textOf(again!)).toMatch(/原绑定.*区卫健委（重庆市渝中区）.*改为.*区医保局（重庆市渝中区）/s);
    const [p2p] = await say("ou_admin", "/绑定群 渝中区卫健委", { chatId: "oc_p2p_admin" });
    expect(textOf(p2p!)).toContain("在群里 @督办助手");
    const bound = await bot.store.db.selectFrom("chats").select("chat_id").where("chat_id", "=", "oc_p2p_admin").execute();
    expect(bound).toEqual([]);
  });
});

describe("supervising office", () => {
  it("/周报 in a private chat gives the supervisor the overall digest, not 本群尚未绑定", async () => {
    const [r] = await say("ou_demo_supervisor", "/周报", { chatId: "oc_p2p_supervisor" });
    expect(textOf(r!)).toContain("督办周报");
    expect(textOf(r!)).not.toContain("尚未绑定");
  });

  it("the digest chart tells same-named offices apart by place", async () => {
    const c = supervisorDigestCard(await buildSupervisorDigest(bot.store.db, new Date()));
    expect(lintCard(c).problems).toEqual([]);
    const labels = (c.body.elements.find((e: any) => e.tag === "chart") as any).chart_spec.data.values.map((v: any) => v.unit);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.every((l: string) => /（.+）$/.test(l))).toBe(true);
  });

  it("/进度 9 means measure number 9: no measure that merely contains a 9, and a list leads on to each measure", async () => {
    const [r] = await say("ou_demo_supervisor", "/进度 9");
    const text = textOf(r!);
    expect(text).not.toMatch(/\[(19|29|10|90)\]/);
    const picks = valuesOf(cardOf(r!), "task_progress");
    if (picks.length) {
      expect(text).toMatch(/\[9\]/);
      const detail = await click("ou_demo_supervisor", picks[0]!, "oc_p2p_supervisor");
      expect(detail.card).toBeUndefined();
      expect(detail.toast?.content).toContain("单独发给您");
    } else {
      expect(text).toContain("任务进度 · [9]");
    }
    const [own] = await say(yuzhong, "/进度 9");
    expect(textOf(own!)).toContain("任务进度 · [9]");
  });
});

describe("commands as people type them", () => {
  it("reads a command word without a space, and a typed @督办助手 before it", () => {
    expect(parseCommand("/上报签约", commands)).toMatchObject({ command: { name: "上报" }, args: "签约" });
    expect(parseCommand("/指标覆盖率", commands)).toMatchObject({ command: { name: "指标" }, args: "覆盖率" });
    expect(parseCommand("@督办助手 /mytasks", commands).command?.name).toBe("我的任务");
    expect(parseCommand("/绑定群渝中区卫健委", commands)).toMatchObject({ command: { name: "绑定群" }, args: "渝中区卫健委" });
  });

  it("/上报签约 opens the form for the matching indicator", async () => {
    const [r] = await say(yuzhong, "/上报签约");
    expect(textOf(r!)).toContain("签约服务");
    expect(JSON.stringify(cardOf(r!))).toContain('"tag":"form"');
  });

  it("page numbers: full-width digits work, words and pages past the end are refused with the way to the right page", async () => {
    expect(readPageArg("２")).toEqual({ page: 2 });
    expect(readPageArg("公开 3")).toEqual({ page: 3 });
    expect(readPageArg("abc")).toMatchObject({ error: expect.stringContaining("不是页码") });
    const [p2] = await say(yuzhong, "/我的任务 ２");
    expect(textOf(p2!)).toMatch(/第 2\/\d+ 页/);
    const [bad] = await say(yuzhong, "/我的任务 abc");
    expect(textOf(bad!)).toContain("不是页码");
    const [past] = await say(yuzhong, "/我的任务 99");
    expect(textOf(past!)).toMatch(/共 \d+ 页，没有第 99 页/);
  });
});
