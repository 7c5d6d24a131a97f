import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.js";
import { fixedClock } from "../src/clock.js";
import { loadConfig } from "../src/config.js";
import { noDirectory } from "../src/lark/client.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { openSqlite } from "../src/store/sqlite.js";
import { jsonTooDeep } from "../src/http/body.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { larkEncrypt, larkSignature } from "../src/http/lark-crypto.js";
import { APP, cardEvent, larkEnv, localEnv, messageEvent, signedRequest, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";

const MiB = 1024 * 1024;

let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  lark = await startOpenPlatform();
  // Default HTTP timeouts here: a 600 ms request timeout would cut the 512 MiB stream on a loaded machine (408, not 413).
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: null });
});
afterAll(async () => {
  await bot.close();
  await lark.close();
});

const countEvents = async () => Number((await bot.store.db.selectFrom("processed_events").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

/**
 * Streams a chunked body of up to `total` bytes (no Content-Length, no Lark header) and resolves with the answer.
 * The writer honours back-pressure, so it only sends what the server actually reads.
 */
function streamChunked(url: string, total: number, onTick: () => void): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } });
    const chunk = Buffer.alloc(MiB, 0x20);
    let sent = 0;
    let answered = false;
    const pump = () => {
      while (!answered && sent < total) {
        onTick();
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    req.on("response", (res) => {
      answered = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, sent }));
    });
    req.on("error", (err) => (answered ? undefined : reject(err)));
    req.write("{");
    pump();
  });
}

describe("memory before authentication (finding 1)", () => {
  it("a 512 MiB chunked POST without any Lark header gets 413 while the server's memory stays flat", async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const res = await streamChunked(`${bot.url}/webhook/event`, 512 * MiB, () => (peak = Math.max(peak, process.memoryUsage().rss)));
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ error: "body larger than 65536 bytes" });
    // The server stopped reading at 64 KiB: the client could push only what the socket buffers took.
    expect(res.sent).toBeLessThan(64 * MiB);
    expect(peak - before).toBeLessThan(48 * MiB);
    expect(await countEvents()).toBe(0);
  });

  it("a declared Content-Length over the limit is refused before reading, with the same answer", async () => {
    const res = await fetch(`${bot.url}/webhook/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pad: "x".repeat(70_000) }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "body larger than 65536 bytes" });
  });

  it("a small chunked request is still read and checked normally (401 without a signature)", async () => {
    const ev = messageEvent({ text: "/帮助", openId: "ou_chunked" });
    const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(JSON.stringify(ev))), c.close()) });
    const res = await fetch(`${bot.url}/webhook/event`, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "signature headers missing" });
  });

  it("a client that never finishes its headers is disconnected (slowloris)", async () => {
    const short = await startTestServer({ env: larkEnv(lark.url), seedsDir: null, timeouts: { headersMs: 300, requestMs: 600, checkIntervalMs: 50 } });
    try {
      const u = new URL(short.url);
      const answer = await new Promise<string>((resolve) => {
        const sock = connect(Number(u.port), u.hostname, () => sock.write("POST /webhook/event HTTP/1.1\r\nHost: x\r\nX-Slow: "));
        let got = "";
        sock.on("data", (d) => (got += d.toString()));
        sock.on("close", () => resolve(got));
        sock.on("error", () => {});
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await short.close();
    }
  });
});

describe("nesting (finding 9)", () => {
  const nest = (depth: number): unknown => (depth === 0 ? "x" : { a: nest(depth - 1) });

  it("a card value nested 15,000 deep is refused with 400 and leaves no stuck event", async () => {
    const before = await countEvents();
    const ev = cardEvent({ openId: "ou_deep", value: { action: "noop" } });
    const raw = JSON.stringify(ev).replace('{"action":"noop"}', `{"action":"noop","deep":${"[".repeat(15_000)}${"]".repeat(15_000)}}`);
    for (const encrypt of [true, false]) {
      // The deep text itself is signed, so only the depth guard can refuse it.
      const res = await fetch(`${bot.url}/webhook/card`, await signedRawRequest(raw, encrypt));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "JSON nested deeper than 16 levels" });
    }
    expect(await countEvents()).toBe(before);
  });

  it("real envelopes pass the guard; brackets inside strings do not count", () => {
    expect(jsonTooDeep(JSON.stringify(cardEvent({ openId: "ou_x", value: { action: "submit_report", unit_id: 1 }, formValue: { value: "1" } })))).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ text: "[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{\\\"" }))).toBe(false);
    expect(jsonTooDeep(JSON.stringify(nest(17)))).toBe(true);
    expect(jsonTooDeep(JSON.stringify(nest(15)))).toBe(false);
  });
});

/** Encrypts (or not) the exact text given and signs it like Lark. */
async function signedRawRequest(text: string, encrypt: boolean) {
  const body = encrypt ? JSON.stringify({ encrypt: await larkEncrypt(APP.key, text) }) : text;
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": "n-deep",
      "x-lark-signature": await larkSignature(ts, "n-deep", APP.key, new TextEncoder().encode(body)),
    },
  };
}

describe("processed_events is pruned (finding 9)", () => {
  it("rows older than the replay window go at start-up; recent and unfinished ones stay", async () => {
    const clock = fixedClock("2026-11-24T02:00:00Z");
    const dir = mkdtempSync(join(tmpdir(), "duban-prune-"));
    const first = await startTestServer({ env: larkEnv(lark.url), seedsDir: null, clock, dir });
    const db = first.store.db;
    const row = (key: string, at: string, status: "done" | "received") => ({ key, kind: "test", received_at: at, status, payload: null, error: null });
    await db
      .insertInto("processed_events")
      .values([row("event:old", "2026-11-23T10:00:00.000Z", "done"), row("message:old", "2026-11-23T10:00:00.000Z", "done"), row("event:stuck", "2026-11-23T10:00:00.000Z", "received"), row("event:recent", "2026-11-24T01:00:00.000Z", "done")])
      .execute();
    await first.close();
    const second = await startTestServer({ env: larkEnv(lark.url), seedsDir: null, clock, dir });
    const keys = (await second.store.db.selectFrom("processed_events").select("key").orderBy("key").execute()).map((r) => r.key);
    await second.close();
    rmSync(dir, { recursive: true, force: true });
    expect(keys).toContain("event:recent");
    expect(keys).not.toContain("event:old");
    expect(keys).not.toContain("message:old");
    expect(keys).toContain("event:stuck");
  });
  it("a bot that keeps running prunes again later, without a restart", async () => {
    const clock = fixedClock("2026-11-24T02:00:00Z");
    const bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: null, clock, pruneEveryMs: 50 });
    try {
      const db = bot.store.db;
      const row = (key: string, at: string) => ({ key, kind: "test", received_at: at, status: "done" as const, payload: null, error: null });
      // Both rows are inside the replay window when written; a day later only the newer one still is.
      await db.insertInto("processed_events").values([row("event:yesterday", "2026-11-24T01:00:00.000Z"), row("event:today", "2026-11-25T01:30:00.000Z")]).execute();
      clock.set("2026-11-25T02:00:00Z");
      const keys = async () => (await db.selectFrom("processed_events").select("key").orderBy("key").execute()).map((r) => r.key);
      for (let i = 0; i < 100 && (await keys()).includes("event:yesterday"); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await keys()).toEqual(["event:today"]);
    } finally {
      await bot.close();
    }
  });
});

describe("local mode only when asked for, never behind a proxy (finding 5)", () => {
  it("npm start with nothing configured explains how and does not fall back to the demo", () => {
    expect(() => loadConfig({})).toThrow(/LARK_ENCRYPT_KEY[\s\S]*npm run local/);
    expect(() => loadConfig({ DUBAN_LOCAL: "1", LARK_APP_ID: "cli_x" })).toThrow(/DUBAN_LOCAL=1/);
    expect(() => loadConfig({ DUBAN_LOCAL: "1", HOST: "0.0.0.0" })).toThrow(/HOST=0\.0\.0\.0/);
  });

  it("a forwarded `/绑定 督办` as ou_demo_admin through a reverse proxy on the same host binds nothing", async () => {
    const demo = await startTestServer({ env: localEnv, seedsDir: "seeds" });
    try {
      const ev = messageEvent({ text: "/绑定 督办", openId: "ou_demo_admin", chatId: "oc_attacker", group: true });
      for (const h of ["x-forwarded-for", "forwarded", "x-real-ip", "cf-connecting-ip"]) {
        const res = await demo.post(ev, { headers: { "content-type": "application/json", [h]: "203.0.113.9" }, body: JSON.stringify(ev) });
        expect(res.status).toBe(403);
        expect((await res.json()).error).toBe(`local mode refuses proxied requests (${h} header)`);
      }
      await demo.idle();
      expect(await demo.store.db.selectFrom("chats").select("chat_id").where("chat_id", "=", "oc_attacker").execute()).toEqual([]);
      // The same request straight from loopback is the demo working as intended.
      expect((await demo.post(ev)).status).toBe(200);
      await demo.idle();
      expect(await demo.store.db.selectFrom("chats").select("kind").where("chat_id", "=", "oc_attacker").execute()).toEqual([{ kind: "supervisor" }]);
    } finally {
      await demo.close();
    }
  });

  it("an unknown peer address is refused (fails closed)", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T02:00:00Z");
    const services = { db, clock, messenger: new OutboxMessenger(db, clock, { deliveredImmediately: true }), directory: noDirectory, log: { info() {}, warn() {}, error() {} }, adminOpenIds: [] };
    const app = createApp({ services, registry: { commands: [], cardActions: [] }, config: loadConfig(localEnv), runLater: () => {}, remoteAddress: () => null });
    const res = await app.request("/webhook/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(messageEvent({ text: "/帮助", openId: "ou_1" })) });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "local mode accepts events from loopback only" });
    await close();
  });
});

describe("no encrypt key, no signature (finding 6)", () => {
  const { LARK_ENCRYPT_KEY: _key, ...noKey } = larkEnv("http://127.0.0.1:9");

  it("Lark mode without LARK_ENCRYPT_KEY refuses to start unless LARK_ALLOW_UNSIGNED=1", () => {
    expect(() => loadConfig(noKey)).toThrow(/LARK_ENCRYPT_KEY/);
    expect(loadConfig({ ...noKey, LARK_ALLOW_UNSIGNED: "1" })).toMatchObject({ mode: "lark", unsigned: true });
  });

  it("with the key, an unsigned plain POST carrying the token cannot bind a supervisor chat", async () => {
    const ev = messageEvent({ text: "/绑定 督办", openId: "ou_admin", chatId: "oc_unsigned", group: true });
    const res = await bot.post(ev);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "signature headers missing" });
    await bot.idle();
    expect(await bot.store.db.selectFrom("chats").select("chat_id").where("chat_id", "=", "oc_unsigned").execute()).toEqual([]);
  });

  it("LARK_ALLOW_UNSIGNED=1 warns at start and accepts loopback only, never proxied requests", async () => {
    const warnings: string[] = [];
    const unsigned = await startTestServer({ env: { ...noKey, LARK_DOMAIN: lark.url, LARK_ALLOW_UNSIGNED: "1" }, seedsDir: null, log: { info() {}, error() {}, warn: (m) => void warnings.push(m) } });
    try {
      expect(warnings.join("\n")).toMatch(/LARK_ALLOW_UNSIGNED=1.*不校验签名/);
      const ev = messageEvent({ text: "/帮助", openId: "ou_u" });
      const proxied = await unsigned.post(ev, { headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.9" }, body: JSON.stringify(ev) });
      expect(proxied.status).toBe(403);
      expect(await proxied.json()).toEqual({ error: "LARK_ALLOW_UNSIGNED refuses proxied requests (x-forwarded-for header)" });
      expect((await unsigned.post(ev)).status).toBe(200);
    } finally {
      await unsigned.close();
    }
  });
});

describe("a forged or unsigned encrypted body is refused before it is decrypted (finding 9)", () => {
  /** Counts AES decryptions in this process (the bot runs in it), letting each one run for real. */
  async function decryptsDuring(send: () => Promise<Response>) {
    const spy = vi.spyOn(globalThis.crypto.subtle, "decrypt");
    try {
      const res = await send();
      return { status: res.status, body: await res.text(), decrypts: spy.mock.calls.length };
    } finally {
      spy.mockRestore();
    }
  }
  const event = () => messageEvent({ text: "/绑定 督办", openId: "ou_admin", chatId: "oc_forged", group: true });
  const post = (req: RequestInit) => fetch(`${bot.url}/webhook/event`, req);

  it("a bad signature, a stale timestamp or no signature at all: 401 and not one decryption", async () => {
    const forged = await signedRequest(event());
    forged.headers["x-lark-signature"] = "0".repeat(64);
    const otherKey = await signedRequest(event(), { key: "attacker-key" });
    const stale = await signedRequest(event(), { timestamp: Math.floor(Date.now() / 1000) - 9 * 3600 });
    const { headers: _h, ...unsigned } = await signedRequest(event());
    const cases: [RequestInit, string][] = [
      [forged, "signature mismatch"],
      [otherKey, "signature mismatch"],
      [stale, "timestamp outside the replay window"],
      [{ ...unsigned, headers: { "content-type": "application/json" } }, "signature headers missing"],
    ];
    for (const [req, error] of cases) {
      expect(await decryptsDuring(() => post(req))).toEqual({ status: 401, body: JSON.stringify({ error }), decrypts: 0 });
    }
    // The genuine request is decrypted once, so the counter sees decryptions.
    const genuine = await signedRequest(event());
    expect(await decryptsDuring(() => post(genuine))).toMatchObject({ status: 200, decrypts: 1 });
    await bot.idle();
  });

  it("only a body small enough to be the URL check is decrypted unsigned, and every failure then gets the same 401", async () => {
    const challenge = JSON.stringify({ encrypt: await larkEncrypt(APP.key, JSON.stringify({ challenge: "c1", token: APP.token, type: "url_verification" })) });
    expect(await decryptsDuring(() => post({ method: "POST", headers: { "content-type": "application/json" }, body: challenge }))).toEqual({ status: 200, body: JSON.stringify({ challenge: "c1" }), decrypts: 1 });
    const small = [
      JSON.stringify({ encrypt: await larkEncrypt(APP.key, JSON.stringify({ schema: "2.0", header: { event_type: "x", token: APP.token } })) }),
      JSON.stringify({ encrypt: Buffer.alloc(48, 7).toString("base64") }),
      JSON.stringify({ encrypt: await larkEncrypt(APP.key, "[1]") }),
      JSON.stringify({ encrypt: "not base64 at all!" }),
    ];
    const answers = await Promise.all(small.map((body) => post({ method: "POST", headers: { "content-type": "application/json" }, body }).then(async (r) => ({ status: r.status, body: await r.text() }))));
    for (const a of answers) expect(a).toEqual({ status: 401, body: JSON.stringify({ error: "signature headers missing" }) });
  });
});

describe("every refusal has one status and body per cause and stores nothing (finding 9)", () => {
  const plain = (body: string, type = "application/json"): RequestInit => ({ method: "POST", headers: { "content-type": type }, body });
  const ev = () => messageEvent({ text: "/绑定 督办", openId: "ou_admin", chatId: "oc_refused", group: true });
  const cases: [string, () => Promise<RequestInit>, number, string][] = [
    ["a wrong content type", async () => plain("a=1", "application/x-www-form-urlencoded"), 415, "content-type must be application/json"],
    ["an oversize body", async () => plain(JSON.stringify({ pad: "x".repeat(70_000) })), 413, "body larger than 65536 bytes"],
    ["a forged signature", async () => ({ ...(await signedRequest(ev())), headers: { ...(await signedRequest({})).headers } }), 401, "signature mismatch"],
    ["a stale timestamp", async () => signedRequest(ev(), { timestamp: Math.floor(Date.now() / 1000) - 86_400 }), 401, "timestamp outside the replay window"],
    ["no signature", async () => plain(JSON.stringify(ev())), 401, "signature headers missing"],
    ["a wrong token in a signed event", async () => signedRequest(messageEvent({ text: "/帮助", openId: "ou_t", token: "bad" })), 401, "verification token mismatch"],
    ["a wrong token in the URL check", async () => plain(JSON.stringify({ challenge: "c", token: "bad", type: "url_verification" })), 401, "verification token mismatch"],
    ["a wrong token in an encrypted URL check", async () => plain(JSON.stringify({ encrypt: await larkEncrypt(APP.key, JSON.stringify({ challenge: "c", token: "bad", type: "url_verification" })) })), 401, "verification token mismatch"],
    ["malformed JSON, signed", async () => signedRawRequest("{not json", false), 400, "malformed JSON"],
    ["malformed JSON, unsigned", async () => plain("{not json"), 400, "malformed JSON"],
    ["a JSON array, signed", async () => signedRawRequest("[1]", false), 400, "body must be a JSON object"],
  ];

  it.each(cases)("%s: the same answer on both webhooks, nothing stored, nothing sent", async (_name, build, status, error) => {
    const outbox = () => bot.store.db.selectFrom("outbox").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    // An answer an earlier test queued may still be on its way to the open platform: delivered first, it cannot be
    // counted as sent by a refused request.
    await bot.idle();
    await bot.worker!.kick();
    const before = { events: await countEvents(), outbox: await outbox(), sends: lark.sends().length };
    for (const path of ["/webhook/event", "/webhook/card"]) {
      const res = await fetch(`${bot.url}${path}`, await build());
      expect({ status: res.status, body: await res.text() }).toEqual({ status, body: JSON.stringify({ error }) });
    }
    await bot.idle();
    expect({ events: await countEvents(), outbox: await outbox(), sends: lark.sends().length }).toEqual(before);
    expect(await bot.store.db.selectFrom("chats").select("chat_id").where("chat_id", "=", "oc_refused").execute()).toEqual([]);
  });
});

describe("the demo roster only in local mode (finding 8)", () => {
  it("Lark mode seeds the plans but no demo account, no demo chat, and ou_demo_admin is no admin", async () => {
    const real = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds" });
    try {
      const demoMembers = await real.store.db.selectFrom("members").select("open_id").where("open_id", "like", "ou_demo_%").execute();
      expect(demoMembers).toEqual([]);
      expect(await real.store.db.selectFrom("chats").select("chat_id").execute()).toEqual([]);
      expect(real.services.adminOpenIds).toEqual(["ou_admin"]);
      expect(real.seeded?.units).toBeGreaterThan(50);
    } finally {
      await real.close();
    }
  });
});

describe("the Workers entry without its secrets (finding 5)", () => {
  // The worker module itself, called as workerd would: these answers come before any D1 or Lark access.
  const ctx = { waitUntil() {}, passThroughOnException() {} } as never;
  const send = async (env: Record<string, unknown>) => {
    // A computed specifier keeps the Workers types (tsconfig in worker/) out of the Node type-check.
    const entry = "../worker/index.js";
    const { default: worker } = (await import(/* @vite-ignore */ entry)) as { default: { fetch(r: Request, env: unknown, ctx: unknown): Promise<Response> } };
    return worker.fetch(
      new Request("http://localhost/webhook/event", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": "127.0.0.1" }, body: JSON.stringify(messageEvent({ text: "/绑定 督办", openId: "ou_demo_admin" })) }),
      { DB: {} as never, ...env },
      ctx,
    );
  };

  it("answers 503 saying what to configure, and never runs local mode", async () => {
    const unconfigured = await send({});
    expect(unconfigured.status).toBe(503);
    expect(((await unconfigured.json()) as { error: string }).error).toMatch(/not configured: 未配置飞书应用[\s\S]*LARK_ENCRYPT_KEY/);
    const local = await send({ DUBAN_LOCAL: "1" });
    expect(local.status).toBe(503);
    expect(((await local.json()) as { error: string }).error).toMatch(/Local mode is not available on Workers/);
  });

  it("unsigned mode is loopback-only and a Worker knows no peer address: refused even with a forged CF-Connecting-IP", async () => {
    const { LARK_ENCRYPT_KEY: _k, ...noKey } = larkEnv("http://127.0.0.1:9");
    const res = await send({ ...noKey, LARK_ALLOW_UNSIGNED: "1" });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "LARK_ALLOW_UNSIGNED accepts events from loopback only" });
  });
});
