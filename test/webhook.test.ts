import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import { larkEncrypt } from "../src/http/lark-crypto.js";
import { RateLimiter } from "../src/lark/rate-limit.js";
import { APP, larkEnv, messageEvent, signedRequest, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";

let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  lark = await startOpenPlatform();
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds" });
});
afterAll(async () => {
  await bot.close();
  await lark.close();
});
afterEach(() => {
  lark.setDelay(0);
});

const post = async (req: { method: string; body: string; headers: Record<string, string> }) => fetch(`${bot.url}/webhook/event`, req);
const countEvents = async () => Number((await bot.store.db.selectFrom("processed_events").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
const replies = () => lark.sends().filter((r) => r.path.endsWith("/reply"));
const cardText = (r: { body: any }) => JSON.stringify(JSON.parse(r.body.content));

describe("the URL check", () => {
  it("echoes a plain challenge when the token is right, and refuses a wrong token (401, like an event's)", async () => {
    const ok = await fetch(`${bot.url}/webhook/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ challenge: "abc", token: APP.token, type: "url_verification" }) });
    expect(await ok.json()).toEqual({ challenge: "abc" });
    const bad = await fetch(`${bot.url}/webhook/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ challenge: "abc", token: "nope", type: "url_verification" }) });
    expect(bad.status).toBe(401);
  });

  it("decrypts an encrypted challenge (no signature headers, as Lark sends it)", async () => {
    const body = JSON.stringify({ encrypt: await larkEncrypt(APP.key, JSON.stringify({ challenge: "xyz", token: APP.token, type: "url_verification" })) });
    const res = await fetch(`${bot.url}/webhook/card`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(await res.json()).toEqual({ challenge: "xyz" });
  });
});

describe("a signed, encrypted message", () => {
  it("is answered 200 and the open platform receives the bot's reply card", async () => {
    const before = replies().length;
    const ev = messageEvent({ text: "/帮助", openId: "ou_someone" });
    const res = await post(await signedRequest(ev));
    expect(res.status).toBe(200);
    const sends = await lark.waitForSends(before + 1);
    const reply = sends.filter((r) => r.path === `/open-apis/im/v1/messages/${ev.event.message.message_id}/reply`);
    expect(reply).toHaveLength(1);
    expect(reply[0]!.body.msg_type).toBe("interactive");
    expect(cardText(reply[0]!)).toContain("使用帮助");
    expect(reply[0]!.headers.authorization).toBe("Bearer t-standin");
  });
});

describe("requests that must change nothing", () => {
  it.each([
    ["a forged signature", async () => ({ ...(await signedRequest(messageEvent({ text: "/帮助", openId: "ou_f" }))), headers: { ...(await signedRequest({})).headers } }), 401],
    ["a signature made with another key", async () => signedRequest(messageEvent({ text: "/帮助", openId: "ou_f" }), { key: "wrong-key" }), 401],
    ["a wrong verification token", async () => signedRequest(messageEvent({ text: "/帮助", openId: "ou_f", token: "bad" })), 401],
    ["a timestamp a day old", async () => signedRequest(messageEvent({ text: "/帮助", openId: "ou_f" }), { timestamp: Math.floor(Date.now() / 1000) - 86_400 }), 401],
    ["missing signature headers", async () => ({ method: "POST", body: JSON.stringify({ encrypt: await larkEncrypt(APP.key, JSON.stringify(messageEvent({ text: "/帮助", openId: "ou_f" }))) }), headers: { "content-type": "application/json" } }), 401],
    ["broken JSON", async () => ({ method: "POST", body: "{not json", headers: { "content-type": "application/json" } }), 400],
    ["a wrong content type", async () => ({ method: "POST", body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415],
    ["a huge body", async () => ({ method: "POST", body: JSON.stringify({ pad: "x".repeat(200_000) }), headers: { "content-type": "application/json" } }), 413],
    ["a message event missing its message", async () => signedRequest({ schema: "2.0", header: { event_id: "e_bad", event_type: "im.message.receive_v1", token: APP.token }, event: {} }), 400],
  ])("%s gets a 4xx and stores nothing", async (_name, build, status) => {
    const events = await countEvents();
    const sent = lark.sends().length;
    const res = await post(await build());
    expect(res.status).toBe(status);
    expect((await res.json()).error).toBeTruthy();
    expect(await countEvents()).toBe(events);
    await bot.idle();
    expect(lark.sends().length).toBe(sent);
  });

  it("ignores event types it does not handle with a 200", async () => {
    const res = await post(await signedRequest({ schema: "2.0", header: { event_id: "e_other", event_type: "contact.user.created_v3", token: APP.token }, event: {} }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ msg: "ignored" });
  });
});

describe("retries of the same event", () => {
  it("are processed once: same event_id, and same message_id under a new event_id", async () => {
    const ev = messageEvent({ text: "/帮助", openId: "ou_dup" });
    const before = replies().length;
    for (let i = 0; i < 3; i++) expect((await post(await signedRequest(ev))).status).toBe(200);
    const again = messageEvent({ text: "/帮助", openId: "ou_dup", messageId: ev.event.message.message_id });
    expect(await (await post(await signedRequest(again))).json()).toEqual({ msg: "duplicate" });
    await bot.idle();
    await bot.worker!.kick();
    expect(replies().length - before).toBe(1);
  });

  it.each([
    ["signed and encrypted", "lark"],
    ["in local mode, with nothing to decrypt between arrival and the inbox", "local"],
  ])("arriving at the same moment as each other and as other events (%s): the message is processed once, every other event too", async (_name, mode) => {
    const server = mode === "lark" ? null : await startTestServer({ seedsDir: "seeds" });
    const send = async (e: unknown) => (server ? server.post(e) : post(await signedRequest(e)));
    const ev = messageEvent({ text: "/帮助", openId: "ou_burst" });
    const resent = messageEvent({ text: "/帮助", openId: "ou_burst", messageId: ev.event.message.message_id });
    const others = [1, 2, 3].map((i) => messageEvent({ text: "/帮助", openId: `ou_burst_${i}` }));
    const answers = await Promise.all([ev, ev, resent, ...others, ev].map(async (e) => ((await (await send(e)).json()) as { msg: string }).msg));
    // One of the four deliveries of the message is processed (whichever came first), each other event once.
    expect([0, 1, 2, 6].map((i) => answers[i]).sort()).toEqual(["duplicate", "duplicate", "duplicate", "success"]);
    expect([3, 4, 5].map((i) => answers[i])).toEqual(["success", "success", "success"]);
    const rt = server ?? bot;
    await rt.idle();
    const answered = await rt.store.db.selectFrom("outbox").select("target").where("target", "in", [ev, ...others].map((e) => e.event.message.message_id)).execute();
    expect(answered.map((r) => r.target).sort()).toEqual([ev, ...others].map((e) => e.event.message.message_id).sort());
    await server?.close();
  });

  it("are still recognised after a restart on the same database file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-restart-"));
    const first = await startTestServer({ env: larkEnv(lark.url), seedsDir: null, dir });
    const ev = messageEvent({ text: "/帮助", openId: "ou_restart" });
    await first.post(undefined, await signedRequest(ev));
    await first.idle();
    await first.worker!.kick();
    await first.close();
    const second = await startTestServer({ env: larkEnv(lark.url), seedsDir: null, dir });
    const res = await second.post(undefined, await signedRequest(ev));
    expect(await res.json()).toEqual({ msg: "duplicate" });
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("slow open platform", () => {
  it("answers the event before the reply has been delivered (the reply waits in the outbox)", async () => {
    lark.setDelay(1500);
    const ev = messageEvent({ text: "/帮助", openId: "ou_slow" });
    const res = await post(await signedRequest(ev));
    expect(res.status).toBe(200);
    await bot.idle();
    const row = await bot.store.db.selectFrom("outbox").select(["status"]).where("target", "=", ev.event.message.message_id).executeTakeFirstOrThrow();
    expect(row.status).not.toBe("sent");
    lark.setDelay(0);
    await lark.waitForSends(1);
  });
});

describe("delivery", () => {
  it("retries after a rate-limit answer and after a server error, then delivers once", async () => {
    const mine = (r: { body: any }) => r.body?.receive_id === "oc_retry";
    lark.failNext(1, { status: 429, code: 99991400, resetSeconds: 1 }, mine);
    lark.failNext(1, { status: 502, code: 0, resetSeconds: 1 }, mine);
    await bot.services.messenger.sendToChat("oc_retry", { schema: "2.0", body: { elements: [{ tag: "markdown", content: "重试测试" }] } });
    for (let i = 0; i < 100; i++) {
      const row = await bot.store.db.selectFrom("outbox").selectAll().where("target", "=", "oc_retry").executeTakeFirstOrThrow();
      if (row.status === "sent") {
        expect(row.attempts).toBe(3);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
      await bot.worker!.kick();
    }
    const row = await bot.store.db.selectFrom("outbox").selectAll().where("target", "=", "oc_retry").executeTakeFirstOrThrow();
    expect(row.status).toBe("sent");
    const creates = lark.sends().filter((r) => r.body?.receive_id === "oc_retry");
    expect(creates.length).toBe(3);
    // Every attempt carries the same uuid, so Lark itself would post the message at most once.
    expect(new Set(creates.map((c) => c.body.uuid)).size).toBe(1);
  });

  it("keeps a permanently failed send as failed with its error", async () => {
    lark.failNext(1, { status: 400, code: 230002 }, (r) => r.body?.receive_id === "oc_gone");
    await bot.services.messenger.sendToChat("oc_gone", { schema: "2.0", body: { elements: [] } });
    await bot.worker!.kick();
    const row = await bot.store.db.selectFrom("outbox").selectAll().where("target", "=", "oc_gone").executeTakeFirstOrThrow();
    expect(row.status).toBe("failed");
    expect(row.last_error).toContain("230002");
  });

  it("paces sends: at most 5 a second to one chat and 50 a second overall", async () => {
    const clock = fixedClock("2026-11-24T00:00:00Z");
    const waits: number[] = [];
    const limiter = new RateLimiter(clock, async (ms) => {
      waits.push(ms);
      clock.advance(ms);
    });
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      await limiter.acquire("oc_one");
      times.push(clock.now().getTime());
    }
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t > times[i]! - 1000 && t <= times[i]!).length).toBeLessThanOrEqual(5);
    expect(times[11]! - times[0]!).toBeGreaterThanOrEqual(2000);
    const many = new RateLimiter(clock, async (ms) => clock.advance(ms));
    const start = clock.now().getTime();
    for (let i = 0; i < 120; i++) await many.acquire(`oc_${i}`);
    expect(clock.now().getTime() - start).toBeGreaterThanOrEqual(2000);
  });
});
