import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noticeCard } from "../cards/notice.js";
import { fixedClock } from "../src/clock.js";
import { parseCardEnvelope, runCardAction } from "../src/events/dispatch.js";
import type { CardActionDef, Services } from "../src/events/types.js";
import { createLarkClient, deliver, noDirectory, SendError } from "../src/lark/client.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { renderCard } from "../src/local/render.js";
import { openSqlite } from "../src/store/sqlite.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { cardEvent, larkEnv, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";
import { cardOf, chatWith } from "./support/chat.js";

let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;
let yuzhong: string; // demo member of 区卫健委（重庆市渝中区）

beforeAll(async () => {
  lark = await startOpenPlatform();
  lark.chats.set("oc_topic", { chat_mode: "topic" });
  lark.chats.set("oc_thread_group", { chat_mode: "group", group_message_type: "thread" });
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", demoRoster: true });
  yuzhong = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
});
afterAll(async () => {
  await bot.close();
  await lark.close();
});

const chat = chatWith(() => bot, () => lark);
const say = (openId: string, text: string, chatId: string) => chat.say(openId, text, { group: true, chatId });

/** A click in a group chat: the callback's answer and every send it caused. */
async function click(openId: string, value: Record<string, unknown>, chatId: string, messageId: string) {
  const { body: answer, sent } = await chat.press(openId, value, { chatId, messageId });
  return { answer, sent };
}

describe("topic groups, where Lark has no only-you cards", () => {
  it("the stand-in refuses an ephemeral card in a topic chat with Lark's 18053, and accepts it in an ordinary group", async () => {
    const send = (chat_id: string) =>
      fetch(`${lark.url}/open-apis/ephemeral/v1/send`, {
        method: "POST",
        headers: { authorization: "Bearer t-standin", "content-type": "application/json" },
        body: JSON.stringify({ chat_id, open_id: "ou_x", msg_type: "interactive", card: noticeCard("t", "x") }),
      });
    const topic = await send("oc_topic");
    expect(topic.status).toBe(400);
    expect(await topic.json()).toMatchObject({ code: 18053 });
    expect((await send("oc_ordinary")).status).toBe(200);
  });

  it("a private answer in a topic group becomes a reply that @-mentions the sender; the chat mode is asked once", async () => {
    const asked = () => lark.requests.filter((r) => r.path === "/open-apis/im/v1/chats/oc_topic").length;
    const [answer] = await say(yuzhong, "/我的任务", "oc_topic");
    expect(answer!.path).toMatch(/\/reply$/);
    const text = JSON.stringify(cardOf(answer!));
    expect(text).toContain(`<at id=\\"${yuzhong}\\"></at>`);
    expect(text).toContain("话题群不支持仅你可见");
    expect(renderCard(cardOf(answer!))).toContain("我的任务");
    await say(yuzhong, "/我的任务", "oc_topic");
    expect(asked()).toBe(1);
    const [thread] = await say(yuzhong, "/我的任务", "oc_thread_group");
    expect(thread!.path).toMatch(/\/reply$/);
    const [ordinary] = await say(yuzhong, "/我的任务", "oc_ordinary_group");
    expect(ordinary!.path).toBe("/open-apis/ephemeral/v1/send");
  });
});

describe("clicks on a card the whole group received", () => {
  it("/我的任务 公开: 上报 and 下一页 answer the clicker with a card of their own, and the shared card stays unchanged", async () => {
    const [pub] = await say(yuzhong, "/我的任务 公开", "oc_pub");
    expect(pub!.path).toMatch(/\/reply$/);
    const shared = cardOf(pub!);
    const values = JSON.stringify(shared);
    const report = [...values.matchAll(/\{"action":"open_report_form"[^}]*\}/g)].map((m) => JSON.parse(m[0]))[0];
    expect(report.shared).toBe(1);
    const { answer, sent } = await click(yuzhong, report, "oc_pub", "om_shared_card");
    expect(answer.card).toBeUndefined();
    expect(answer.toast?.content).toContain("群里的卡片保持不变");
    expect(sent.map((r) => r.path)).toEqual(["/open-apis/ephemeral/v1/send"]);
    expect(sent[0]!.body).toMatchObject({ chat_id: "oc_pub", open_id: yuzhong });
    expect(JSON.stringify(sent[0]!.body.card)).toContain('"tag":"form"');
    const next = [...values.matchAll(/\{"action":"page"[^}]*\}/g)].map((m) => JSON.parse(m[0]))[0];
    expect(next).toMatchObject({ page: 2, shared: 1 });
    const paged = await click(yuzhong, next, "oc_pub", "om_shared_card");
    expect(paged.answer.card).toBeUndefined();
    expect(paged.sent.map((r) => r.path)).toEqual(["/open-apis/ephemeral/v1/send"]);
    expect(renderCard(paged.sent[0]!.body.card)).toContain("第 2/");
    // Nothing touched the shared message.
    expect(lark.requests.some((r) => r.method === "PATCH" || r.path.includes("om_shared_card"))).toBe(false);
  });

  it("in a topic group the clicker's card goes to their chat with the bot", async () => {
    const [pub] = await say(yuzhong, "/我的任务 公开", "oc_topic");
    const report = [...JSON.stringify(cardOf(pub!)).matchAll(/\{"action":"open_report_form"[^}]*\}/g)].map((m) => JSON.parse(m[0]))[0];
    const { answer, sent } = await click(yuzhong, report, "oc_topic", "om_shared_topic_card");
    expect(answer.card).toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe("/open-apis/im/v1/messages");
    expect(sent[0]!.query["receive_id_type"]).toBe("open_id");
    expect(sent[0]!.body.receive_id).toBe(yuzhong);
  });
});

describe("slow card callbacks", () => {
  it("answer in time, then the card is updated with the callback's token once the handler finishes", async () => {
    const store = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T02:00:00.000Z");
    const s: Services = { db: store.db, clock, messenger: new OutboxMessenger(store.db, clock), directory: noDirectory, log: { info() {}, warn() {}, error() {} }, adminOpenIds: [] };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    const slow: CardActionDef = {
      action: "slow",
      handle: async () => {
        await gate;
        setTimeout(finished, 0);
        return { toast: { type: "success", content: "已记录" }, card: { type: "raw", data: noticeCard("已记录", "结果卡片") } };
      },
    };
    const body = parseCardEnvelope(cardEvent({ openId: "ou_a", value: { action: "slow" }, chatId: "oc_chat" }));
    if (!body.success) throw new Error("bad envelope");
    // A zero budget: the answer cannot wait for the handler, which is held until after the answer is out.
    const answer = await runCardAction(s, { commands: [], cardActions: [slow] }, body.data, 0);
    expect(answer.card).toBeUndefined();
    expect(answer.toast?.content).toContain("正在处理");
    expect(await store.db.selectFrom("outbox").selectAll().execute()).toEqual([]);
    release();
    await done;
    let rows = await store.db.selectFrom("outbox").selectAll().execute();
    for (let k = 0; k < 500 && rows.length === 0; k++) {
      await new Promise((r) => setTimeout(r, 10));
      rows = await store.db.selectFrom("outbox").selectAll().execute();
    }
    expect(rows.map((r) => [r.kind, r.target])).toEqual([["card_update", body.data.event.token]]);
    expect(rows[0]!.payload).toContain("结果卡片");
    store.close();
  });
});

describe("quota errors", () => {
  it("11247 (a daily quota) is not retried; a rate limit (99991400) is", async () => {
    const client = createLarkClient({ LARK_APP_ID: "cli_x", LARK_APP_SECRET: "s", LARK_VERIFICATION_TOKEN: "t", LARK_DOMAIN: lark.url }, { info() {}, warn() {}, error() {} });
    const row = { id: 1, kind: "send_chat", target: "oc_x", payload: JSON.stringify({ card: noticeCard("t", "x") }) } as never;
    lark.failNext(1, { status: 400, code: 11247 });
    const quota = await deliver(client, row).then(() => null, (e: unknown) => e);
    expect(quota).toBeInstanceOf(SendError);
    expect((quota as SendError).retryable).toBe(false);
    lark.failNext(1, { status: 429, code: 99991400 });
    const limited = await deliver(client, row).then(() => null, (e: unknown) => e);
    expect((limited as SendError).retryable).toBe(true);
  });
});
