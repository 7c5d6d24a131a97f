import { Hono, type Context } from "hono";
import { sql } from "kysely";
import type { AppConfig } from "./config.js";
import { createAdmission, type Admission } from "./events/admission.js";
import { acceptBotAdded, acceptMenu, acceptMessage, CARD_BUSY, parseBotAddedEnvelope, parseCardEnvelope, parseMenuEnvelope, parseMessageEnvelope, runCardAction, type Registry } from "./events/dispatch.js";
import { recordEvent } from "./events/inbox.js";
import type { Services } from "./events/types.js";
import { BodyTooLarge, JsonTooDeep, parseJsonBounded, readBodyLimited } from "./http/body.js";
import { larkDecrypt, larkSignature, timingSafeEqual } from "./http/lark-crypto.js";

export interface AppDeps {
  services: Services;
  registry: Registry;
  config: Pick<AppConfig, "lark" | "mode" | "unsigned" | "MAX_BODY_BYTES" | "REPLAY_WINDOW_SECONDS">;
  /**
   * Runs work after the HTTP answer: an in-process queue on Node, executionCtx.waitUntil on Workers. `kind` says
   * what the work is ("command", "import", "greeting"), for the queue's estimate of how long new work would wait.
   */
  runLater: (c: Context, work: () => Promise<void>, kind?: string) => void;
  /**
   * Null once work may be accepted; non-null when work accepted now would wait past the queue's budget
   * (src/node/work-queue.ts), after waiting a moment for room: the event gets 503 with Retry-After and nothing is
   * stored, so Lark delivers it again later instead of its answer coming late. `alreadyWaitedMs`: time since the
   * request arrived, which counts against the budget too.
   */
  admit?: (alreadyWaitedMs: number) => { retryAfterSeconds: number } | null | Promise<{ retryAfterSeconds: number } | null>;
  /**
   * The peer address from the runtime (the socket on Node), for the loopback-only rule of local and unsigned mode;
   * null when unknown, which refuses. Never from a client-sent header.
   */
  remoteAddress: (c: Context) => string | null;
  /**
   * Called after an oversized body was refused: on Node the connection is closed once the 413 is written, so the
   * client cannot keep streaming into a socket nobody reads.
   */
  closeAfterResponse?: (c: Context) => void;
  /** Card callbacks running at once and waiting (src/events/admission.ts); one gate per app by default. */
  cardAdmission?: Admission;
}

const CARD_BUDGET_MS = 2500;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
/**
 * A reverse proxy on the same host makes every peer loopback; these headers are how it says the request came from
 * elsewhere, so a loopback-only mode refuses any request that carries one.
 */
const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "cf-connecting-ip", "true-client-ip", "via"];

type Reject = { status: 400 | 401 | 403 | 413 | 415; reason: string };
const UNSIGNED: Reject = { status: 401, reason: "signature headers missing" };
const TOKEN_MISMATCH: Reject = { status: 401, reason: "verification token mismatch" };
/**
 * An encrypted URL check is about 210 bytes ({"encrypt": base64(iv ‖ AES(challenge, token, type))}); every event is
 * larger. An unsigned body above this is refused before it is parsed or decrypted.
 */
const URL_CHECK_MAX_BYTES = 512;
const reject = (c: Context, r: Reject) => c.json({ error: r.reason }, r.status);
const BUSY_BODY = JSON.stringify({ error: "busy, retry later" });
/** Stateless (no streaming), so one serves every request; fatal: a body that is not UTF-8 is malformed. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The webhook. Order matters: type and size before reading, the signature over the raw bytes before parsing or
 * decrypting, then the token, durable de-duplication, and the answer before any slow work. Every refusal is
 * `{"error": reason}` with one status per cause (415 type, 413 size, 401 signature/timestamp/token, 400 malformed,
 * 403 loopback-only modes) and stores nothing.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const { services: s, registry, config } = deps;
  const cardGate = deps.cardAdmission ?? createAdmission();
  // Checked after the event is verified and parsed (a forged or malformed one gets its 4xx, not a 503) and before
  // anything is stored, so a refused event leaves no trace and its redelivery is handled as new.
  const shed = async (arrivedAt: number): Promise<Response | null> => {
    const over = await deps.admit?.(performance.now() - arrivedAt);
    if (!over) return null;
    // Headers as a plain object: c.header() would build a Headers object for every refusal, and a sustained overload
    // refuses many.
    return new Response(BUSY_BODY, { status: 503, headers: { "Content-Type": "application/json", "Retry-After": String(over.retryAfterSeconds) } });
  };

  // For a load balancer: an instance whose database does not answer is taken out of rotation (503), not fed events.
  app.get("/healthz", async (c) => {
    try {
      await sql`SELECT 1`.execute(s.db);
    } catch {
      return c.json({ ok: false, mode: config.mode, database: "unreachable" }, 503);
    }
    return c.json({ ok: true, mode: config.mode, database: "ok" });
  });

  const handle = async (c: Context) => {
    // The card-callback budget counts from here, not from when the handler starts its own work.
    const arrivedAt = performance.now();
    const type = c.req.header("content-type") ?? "";
    if (!/application\/json/i.test(type)) return reject(c, { status: 415, reason: "content-type must be application/json" });
    if (config.mode === "local" || config.unsigned) {
      const addr = deps.remoteAddress(c);
      const what = config.mode === "local" ? "local mode" : "LARK_ALLOW_UNSIGNED";
      if (!addr || !LOOPBACK.test(addr)) return reject(c, { status: 403, reason: `${what} accepts events from loopback only` });
      const forwarded = FORWARDING_HEADERS.find((h) => c.req.header(h) !== undefined);
      if (forwarded) return reject(c, { status: 403, reason: `${what} refuses proxied requests (${forwarded} header)` });
    }
    const tooLarge = () => {
      deps.closeAfterResponse?.(c);
      c.header("connection", "close");
      return reject(c, { status: 413, reason: `body larger than ${config.MAX_BODY_BYTES} bytes` });
    };
    const length = c.req.header("content-length");
    if (Number(length ?? "0") > config.MAX_BODY_BYTES) return tooLarge();
    let raw: Uint8Array;
    try {
      // A declared length frames the body (the HTTP parser reads that many bytes and no more), so reading it whole is
      // bounded by the check above; on Node it is also read straight from the socket, without the web stream a
      // Request body is (a tenth of a card callback's CPU). Chunked uploads declare no length: they are read as a
      // stream and reading stops at the limit.
      raw = length !== undefined && c.req.header("transfer-encoding") === undefined
        ? new Uint8Array(await c.req.arrayBuffer())
        : await readBodyLimited(c.req.raw.body, config.MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLarge) return tooLarge();
      throw err;
    }

    const lark = config.lark;
    const encryptKey = lark?.LARK_ENCRYPT_KEY;
    // Verify before reading anything: a signed request is checked over the raw bytes before its JSON is parsed or
    // its payload decrypted, so a forged one costs one SHA-256 and nothing else.
    const signed = Boolean(encryptKey && c.req.header("x-lark-signature"));
    if (encryptKey && signed) {
      const bad = await checkSignature(c, encryptKey, raw, s.clock.now(), config.REPLAY_WINDOW_SECONDS);
      if (bad) return reject(c, bad);
    }
    // With a key, only the URL check arrives unsigned (Feishu docs: the signature "不包括请求网址校验"), and it is
    // small. Anything larger is refused unread: no parse, no decrypt.
    if (encryptKey && !signed && raw.byteLength > URL_CHECK_MAX_BYTES) return reject(c, UNSIGNED);

    let body: unknown;
    try {
      body = parseJsonBounded(UTF8.decode(raw));
    } catch (err) {
      return reject(c, { status: 400, reason: err instanceof JsonTooDeep ? err.message : "malformed JSON" });
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return reject(c, { status: 400, reason: "body must be a JSON object" });

    let envelope = body as Record<string, unknown>;
    if (typeof envelope["encrypt"] === "string") {
      if (!encryptKey) return reject(c, { status: 400, reason: "encrypted payload but no LARK_ENCRYPT_KEY configured" });
      try {
        envelope = parseJsonBounded(await larkDecrypt(encryptKey, envelope["encrypt"])) as Record<string, unknown>;
      } catch (err) {
        // Unsigned: one answer whatever failed, so the decrypt (of a URL-check-sized body) is no padding oracle.
        if (!signed) return reject(c, UNSIGNED);
        if (err instanceof JsonTooDeep) return reject(c, { status: 400, reason: err.message });
        return reject(c, { status: 400, reason: "cannot decrypt payload" });
      }
      if (typeof envelope !== "object" || envelope === null || Array.isArray(envelope)) return reject(c, signed ? { status: 400, reason: "decrypted payload is not an object" } : UNSIGNED);
    }

    // The URL check carries no signature headers; the token is its proof.
    if (envelope["type"] === "url_verification") {
      if (lark && envelope["token"] !== lark.LARK_VERIFICATION_TOKEN) return reject(c, TOKEN_MISMATCH);
      if (typeof envelope["challenge"] !== "string") return reject(c, { status: 400, reason: "challenge missing" });
      return c.json({ challenge: envelope["challenge"] });
    }
    if (encryptKey && !signed) return reject(c, UNSIGNED);

    const header = envelope["header"] as Record<string, unknown> | undefined;
    if (lark) {
      const token = envelope["schema"] ? header?.["token"] : envelope["token"];
      if (token !== lark.LARK_VERIFICATION_TOKEN) return reject(c, TOKEN_MISMATCH);
    }

    if (envelope["schema"] !== "2.0") {
      // Legacy v1 events: nothing of ours uses them; record the uuid so retries stay quiet.
      if (typeof envelope["uuid"] === "string") {
        await recordEvent(s.db, { eventId: `v1:${envelope["uuid"]}`, kind: "v1", payload: null, now: s.clock.now() });
      }
      return c.json({ msg: "ignored" });
    }
    const eventType = header?.["event_type"];
    if (eventType === "im.message.receive_v1") {
      const env = parseMessageEnvelope(envelope);
      if (!env.success) return reject(c, { status: 400, reason: `malformed im.message.receive_v1: ${env.error.issues[0]?.path.join(".")}` });
      const busy = await shed(arrivedAt);
      if (busy) return busy;
      const kind = env.data.event.message.message_type === "file" ? "import" : "command";
      const fresh = await acceptMessage(s, registry, env.data, (work) => deps.runLater(c, work, kind));
      return c.json({ msg: fresh ? "success" : "duplicate" });
    }
    if (eventType === "application.bot.menu_v6") {
      const env = parseMenuEnvelope(envelope);
      if (!env.success) return reject(c, { status: 400, reason: `malformed application.bot.menu_v6: ${env.error.issues[0]?.path.join(".")}` });
      const busy = await shed(arrivedAt);
      if (busy) return busy;
      const fresh = await acceptMenu(s, registry, env.data, (work) => deps.runLater(c, work, "command"));
      return c.json({ msg: fresh ? "success" : "duplicate" });
    }
    if (eventType === "card.action.trigger") {
      const env = parseCardEnvelope(envelope);
      if (!env.success) return reject(c, { status: 400, reason: `malformed card.action.trigger: ${env.error.issues[0]?.path.join(".")}` });
      // Lark waits 3 s for a callback answer, counted from when the request arrived (not from when its handler got
      // a turn); keep half a second for the network and the response.
      const deadline = arrivedAt + CARD_BUDGET_MS;
      const release = await cardGate.enter(deadline);
      // Refused: a fast documented answer (HTTP 200 with a toast; Lark never retries a callback) and nothing stored,
      // so the user's next tap is handled as new.
      if (!release) return c.json({ toast: { type: "warning", content: CARD_BUSY } });
      return c.json(await runCardAction(s, registry, env.data, Math.max(0, deadline - performance.now()), release));
    }
    if (eventType === "im.chat.member.bot.added_v1") {
      const env = parseBotAddedEnvelope(envelope);
      if (!env.success) return reject(c, { status: 400, reason: `malformed im.chat.member.bot.added_v1: ${env.error.issues[0]?.path.join(".")}` });
      const busy = await shed(arrivedAt);
      if (busy) return busy;
      const fresh = await acceptBotAdded(s, registry, env.data, (work) => deps.runLater(c, work, "greeting"));
      return c.json({ msg: fresh ? "success" : "duplicate" });
    }
    return c.json({ msg: "ignored" });
  };

  app.post("/webhook/event", handle);
  app.post("/webhook/card", handle);
  app.onError((err, c) => {
    s.log.error("unhandled error", { error: String(err), path: c.req.path });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/**
 * X-Lark-Signature = sha256(timestamp + nonce + encryptKey + raw body bytes), compared in constant time. The replay
 * window is wide (8 h by default) on purpose: Lark re-sends a failed event with its original timestamp for ~7 hours,
 * and a replay inside the window is harmless because de-duplication by event_id is durable.
 */
async function checkSignature(c: Context, encryptKey: string, raw: Uint8Array, now: Date, windowSeconds: number): Promise<Reject | null> {
  const ts = c.req.header("x-lark-request-timestamp") ?? "";
  const nonce = c.req.header("x-lark-request-nonce") ?? "";
  const sig = c.req.header("x-lark-signature") ?? "";
  if (!ts || !nonce || !sig) return { status: 401, reason: "signature headers missing" };
  if (!timingSafeEqual(await larkSignature(ts, nonce, encryptKey, raw), sig.toLowerCase())) return { status: 401, reason: "signature mismatch" };
  const skew = Math.abs(now.getTime() / 1000 - Number(ts));
  if (!Number.isFinite(skew) || skew > windowSeconds) return { status: 401, reason: "timestamp outside the replay window" };
  return null;
}
