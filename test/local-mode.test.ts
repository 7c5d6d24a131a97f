import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { fixedClock, systemClock } from "../src/clock.js";
import { loadConfig } from "../src/config.js";
import { click, resolveSpeaker, say, type ChatTarget } from "../src/local/chat-client.js";
import { renderCallbackResponse, renderCard } from "../src/local/render.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { digestStatus, enqueueWeeklyDigests } from "../src/digest/send.js";
import { noDirectory } from "../src/lark/client.js";
import { openSqlite } from "../src/store/sqlite.js";
import { localEnv, messageEvent, startTestServer } from "./support/events.js";

describe("configuration", () => {
  it("local mode only when asked for; a half-set configuration names what is missing", () => {
    expect(loadConfig(localEnv).mode).toBe("local");
    expect(() => loadConfig({})).toThrow(/npm run local/);
    expect(() => loadConfig({ LARK_APP_ID: "cli_x" })).toThrow(/LARK_APP_SECRET.*LARK_VERIFICATION_TOKEN/);
    expect(loadConfig({ LARK_APP_ID: "a", LARK_APP_SECRET: "b", LARK_VERIFICATION_TOKEN: "c", LARK_ENCRYPT_KEY: "k" }).mode).toBe("lark");
  });
});

describe("local mode webhook", () => {
  it("accepts unsigned events from loopback only", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T02:00:00Z");
    const services = { db, clock, messenger: new OutboxMessenger(db, clock, { deliveredImmediately: true }), directory: noDirectory, log: { info() {}, warn() {}, error() {} }, adminOpenIds: [] };
    const config = { ...loadConfig(localEnv), MAX_BODY_BYTES: 65536 };
    const pending: Promise<void>[] = [];
    const appFrom = (addr: string) => createApp({ services, registry: { commands: [], cardActions: [] }, config, runLater: (_c, w) => void pending.push(w()), remoteAddress: () => addr });
    const body = JSON.stringify(messageEvent({ text: "/帮助", openId: "ou_1" }));
    const init = { method: "POST", headers: { "content-type": "application/json" }, body };
    expect((await appFrom("10.0.0.5").request("/webhook/event", init)).status).toBe(403);
    expect((await appFrom("127.0.0.1").request("/webhook/event", init)).status).toBe(200);
    await Promise.all(pending);
    expect((await db.selectFrom("outbox").select("kind").execute()).map((r) => r.kind)).toEqual(["reply"]);
    await close();
  });
});

describe("waking the delivery worker", () => {
  it("a send queued for Lark wakes it at once; one the local outbox already holds as delivered does not", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T02:00:00Z");
    const card = { schema: "2.0", body: { elements: [] } } as never;
    let wakes = 0;
    const lark = new OutboxMessenger(db, clock, { onEnqueue: () => void wakes++ });
    await lark.reply("om_1", card);
    expect(wakes).toBe(1);
    const local = new OutboxMessenger(db, clock, { deliveredImmediately: true, onEnqueue: () => void wakes++ });
    await local.reply("om_2", card);
    const trx = local.within(db);
    await trx.messenger.reply("om_3", card);
    trx.committed();
    expect(wakes).toBe(1);
    expect((await db.selectFrom("outbox").select("status").orderBy("id").execute()).map((r) => r.status)).toEqual(["pending", "sent", "sent"]);
    // Rows of every shape (with and without a de-duplication key, bulk or not) are stored as described, once per key.
    await lark.sendToChat("oc_1", card, { dedupeKey: "digest:oc_1:2026-W48", bulk: true });
    await lark.sendToChat("oc_1", card, { dedupeKey: "digest:oc_1:2026-W48", bulk: true });
    await local.sendToUser("ou_1", card, { viewer: "ou_1" });
    const rows = await db.selectFrom("outbox").select(["kind", "target", "status", "priority", "dedupe_key", "sent_at", "payload"]).where("id", ">", 3).orderBy("id").execute();
    expect(rows).toEqual([
      { kind: "send_chat", target: "oc_1", status: "pending", priority: 0, dedupe_key: "digest:oc_1:2026-W48", sent_at: null, payload: JSON.stringify({ card }) },
      { kind: "send_user", target: "ou_1", status: "sent", priority: 1, dedupe_key: null, sent_at: "2026-11-24T02:00:00.000Z", payload: JSON.stringify({ card, viewer: "ou_1" }) },
    ]);
    await close();
  });
});

describe("the terminal chat", () => {
  let bot: Awaited<ReturnType<typeof startTestServer>>;
  let target: ChatTarget;
  beforeAll(async () => {
    bot = await startTestServer({ env: localEnv, seedsDir: "seeds" });
    target = { url: bot.url, db: bot.store.db, idle: bot.idle };
  });
  afterAll(() => bot.close());

  it("acts as a unit's demo member, reports through the form with --click/--field, and the value is stored", async () => {
    const me = await resolveSpeaker(bot.store.db, "渝中区卫健委");
    expect(me.label).toContain("区卫健委（重庆市渝中区）");
    const answers = await say(target, me, "/上报 签约");
    expect(answers).toHaveLength(1);
    const form = renderCard(answers[0]!.card);
    expect(form).toContain("数值=");
    expect(form).toContain("周期=");
    const { response } = await click(target, me, "提交", { 数值: "85", 周期: "2026Q4" });
    expect(renderCallbackResponse(response)).toContain("【提示·success】已记录");
    const rows = await bot.store.db.selectFrom("reports").selectAll().execute();
    expect(rows.map((r) => [r.value, r.period, r.reporter_open_id])).toEqual([[85, "2026Q4", me.openId]]);
    // The clicked card now shows the receipt: its button opens the form again.
    const again = await click(target, me, "再填一项", {});
    expect(renderCard(again.response.card!.data)).toContain("最新 85%");
  });

  it("asks which unit when a name is shared by two governments, and names the missing field", async () => {
    await expect(resolveSpeaker(bot.store.db, "区卫健委")).rejects.toThrow(/重庆市大足区/);
    const me = await resolveSpeaker(bot.store.db, "渝中区卫健委");
    await say(target, me, "/上报 签约");
    await expect(click(target, me, "提交", { 人数: "1" })).rejects.toThrow(/没有字段“人数”/);
  });

  it("keeps every answer in the local outbox, delivered to no network address", async () => {
    const rows = await bot.store.db.selectFrom("outbox").select(["status", "attempts"]).execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.status === "sent" && r.attempts === 0)).toBe(true);
  });
});

describe("sends another process queued (npm run digest in a second terminal)", () => {
  it("go to the running local bot's terminal log and are marked sent, instead of staying pending", async () => {
    const lines: string[] = [];
    const log = { info: (m: string) => void lines.push(m), warn: () => {}, error: () => {} };
    const bot = await startTestServer({ env: localEnv, seedsDir: "seeds", log });
    try {
      // `npm run digest` opens the same SQLite file and queues with its own messenger: pending rows, nobody to send them.
      const other = openSqlite({ path: bot.store.label });
      const clock = systemClock;
      const queued = await enqueueWeeklyDigests({ db: other.db, clock, messenger: new OutboxMessenger(other.db, clock), directory: noDirectory, log, adminOpenIds: [] }, clock.now());
      expect(queued.queued).toBeGreaterThan(0);
      for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
        const status = await digestStatus({ db: other.db }, queued.week);
        if (status.every((r) => r.status === "sent")) break;
        if (Date.now() - start > 10_000) throw new Error(`digests still pending: ${JSON.stringify(status)}`);
      }
      await other.close();
      expect(lines.filter((l) => l.startsWith("本地发件箱 local outbox ← send_chat ") && l.includes("周报"))).toHaveLength(queued.queued);
      expect(lines.some((l) => l.includes("oc_demo_supervisor") && l.includes("督办周报"))).toBe(true);
    } finally {
      await bot.close();
    }
  });
});
