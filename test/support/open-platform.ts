import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in of the Lark open platform on loopback, for the real SDK to talk to through LARK_DOMAIN.
 * It implements the endpoints the bot calls, records every request, and can be told to be slow or to fail.
 */
export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface OpenPlatform {
  url: string;
  requests: Recorded[];
  /** Requests that sent or changed a message (not the token call). */
  sends(): Recorded[];
  /** The next `n` message calls answer with this failure. */
  failNext(n: number, how: { status: number; code: number; resetSeconds?: number }, only?: (r: Recorded) => boolean): void;
  /** Delay every answer by `ms`. */
  setDelay(ms: number): void;
  /** Requests matching `only` are recorded, then wait unanswered until `release()` (an instance killed meanwhile). */
  hold(only: (r: Recorded) => boolean): void;
  /** Lets the held requests through: each is processed as Lark would process a request whose sender went away. */
  release(): void;
  /**
   * Lark's idempotent send: a message or reply carrying a `uuid` already used creates no second message (it answers
   * the first one's id). Off unless a test turns it on, since tests on separate stores reuse the same row ids.
   */
  dedupeByUuid: boolean;
  /** Messages created (sends and replies), per uuid: a resend with the same uuid does not count twice. */
  created: Map<string, number>;
  users: Map<string, string[]>;
  departments: Map<string, string>;
  /** Files uploaded with POST /open-apis/im/v1/files, by the file_key the stand-in answered. */
  uploads: Map<string, { name: string; fileType: string; bytes: Uint8Array }>;
  /** Files attached to messages, downloadable with GET /open-apis/im/v1/messages/:id/resources/:file_key?type=file. */
  resources: Map<string, { messageId: string; bytes: Uint8Array; /** Sent without content-length, in 1 MB chunks. */ chunked?: boolean }>;
  /** Chat modes GET /im/v1/chats/:chat_id reports; any other chat is an ordinary group ("group" / "chat"). */
  chats: Map<string, { chat_mode: "group" | "topic" | "p2p"; group_message_type?: "chat" | "thread" }>;
  /**
   * In-app urgent notifications (PATCH /im/v1/messages/:id/urgent_app), with the documented refusals: 230001 bad
   * parameter, 230002 bot not in the chat, 230012 not the bot's message, 230023 a user has 200 unread urgent
   * notifications, 230027 scope im:message.urgent missing; unknown users come back in invalid_user_id_list.
   */
  urgent: {
    /** Accepted calls: message and users. */
    calls: { messageId: string; userIds: string[] }[];
    /** Unread urgent notifications per user (the 200 limit). */
    unread: Map<string, number>;
    /** Chats the bot has left: urgent calls on messages there get 230002. */
    botNotIn: Set<string>;
    /** Users the tenant does not know: returned in invalid_user_id_list. */
    invalidUsers: Set<string>;
    /** false = the app lacks im:message.urgent (230027). */
    scopeGranted: boolean;
  };
  /** Resolves once `n` sends have been recorded (or rejects after `ms`). */
  waitForSends(n: number, ms?: number): Promise<Recorded[]>;
  close(): Promise<void>;
}

/**
 * Multipart form fields as bytes. Hand-parsed because the SDK's form has no filename on its file part, so a
 * standard FormData reader would turn the binary file into a (lossy) string.
 */
function parseMultipart(raw: Buffer, boundary: string): Record<string, { bytes: Uint8Array; text: string }> {
  const out: Record<string, { bytes: Uint8Array; text: string }> = {};
  const sep = Buffer.from(`--${boundary}`);
  let at = raw.indexOf(sep);
  while (at >= 0) {
    const start = at + sep.length + 2;
    const next = raw.indexOf(sep, start);
    if (next < 0) break;
    const part = raw.subarray(start, next - 2);
    const headEnd = part.indexOf("\r\n\r\n");
    const name = /name="([^"]+)"/.exec(part.subarray(0, headEnd).toString("utf8"))?.[1];
    if (name && headEnd >= 0) {
      const bytes = new Uint8Array(part.subarray(headEnd + 4));
      out[name] = { bytes, text: Buffer.from(bytes).toString("utf8") };
    }
    at = next;
  }
  return out;
}

export async function startOpenPlatform(): Promise<OpenPlatform> {
  const requests: Recorded[] = [];
  const failures: { status: number; code: number; resetSeconds?: number; only?: (r: Recorded) => boolean }[] = [];
  let delay = 0;
  let holdOnly: ((r: Recorded) => boolean) | null = null;
  let released: Promise<void> = Promise.resolve();
  let releaseHeld = () => {};
  const byUuid = new Map<string, string>();
  const created = new Map<string, number>();
  const state = { dedupeByUuid: false };
  /** A uuid seen before (with dedupe on) answers the earlier message; otherwise `make` creates one and counts it. */
  const createOnce = (body: unknown, make: () => string): string => {
    const uuid = (body as { uuid?: unknown } | null)?.uuid;
    if (typeof uuid !== "string") return make();
    const prior = state.dedupeByUuid ? byUuid.get(uuid) : undefined;
    if (prior) return prior;
    const id = make();
    byUuid.set(uuid, id);
    created.set(uuid, (created.get(uuid) ?? 0) + 1);
    return id;
  };
  let msg = 0;
  const users = new Map<string, string[]>();
  const departments = new Map<string, string>();
  const uploads: OpenPlatform["uploads"] = new Map();
  const resources: OpenPlatform["resources"] = new Map();
  let fileSeq = 0;
  const chats: OpenPlatform["chats"] = new Map();
  /** Messages this app sent, by id → the chat or user they went to (urgent calls are only for these). */
  const sent = new Map<string, string>();
  const urgent = { calls: [] as { messageId: string; userIds: string[] }[], unread: new Map<string, number>(), botNotIn: new Set<string>(), invalidUsers: new Set<string>(), scopeGranted: true };

  let logSeq = 0;
  /**
   * Like Feishu, every answer carries its log id in the `X-Tt-Logid` header, and an error body (code ≠ 0) repeats it
   * as `error.log_id` — what Lark support asks for, so our logs must show it.
   */
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const logId = `20261205${String(++logSeq).padStart(6, "0")}STANDIN`;
    const b = body as { code?: unknown } | null;
    const out = b && typeof b === "object" && typeof b.code === "number" && b.code !== 0 ? { ...b, error: { log_id: logId } } : body;
    res.writeHead(status, { "content-type": "application/json", "x-tt-logid": logId, ...headers });
    res.end(JSON.stringify(out));
  };

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const text = raw.toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    let body: unknown = null;
    const contentType = String(req.headers["content-type"] ?? "");
    if (contentType.startsWith("multipart/form-data")) {
      body = parseMultipart(raw, /boundary=(.+)$/.exec(contentType)?.[1] ?? "");
    } else {
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
    }
    const rec: Recorded = { method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams), body, headers: req.headers, at: Date.now() };
    requests.push(rec);
    if (holdOnly?.(rec)) await released;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const p = url.pathname;
    let m0: RegExpExecArray | null;
    if (p === "/open-apis/auth/v3/tenant_access_token/internal") {
      return json(res, 200, { code: 0, msg: "ok", tenant_access_token: "t-standin", expire: 7200 });
    }
    const isMessage = /^\/open-apis\/(im\/v1\/messages|ephemeral\/v1\/send|interactive\/v1\/card\/update)/.test(p);
    const fi = isMessage ? failures.findIndex((f) => !f.only || f.only(rec)) : -1;
    if (fi >= 0) {
      const f = failures.splice(fi, 1)[0]!;
      return json(res, f.status, { code: f.code, msg: "stand-in failure" }, f.resetSeconds ? { "x-ogw-ratelimit-reset": String(f.resetSeconds) } : {});
    }
    if (req.headers.authorization !== "Bearer t-standin") return json(res, 401, { code: 99991663, msg: "invalid token" });
    if (p === "/open-apis/im/v1/files" && req.method === "POST") {
      // As documented for im.file.create: file_type, file_name and file (multipart); ≤ 30 MB; no empty file.
      const f = (body ?? {}) as Record<string, { bytes: Uint8Array; text: string } | undefined>;
      const types = ["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"];
      const fileType = f["file_type"]?.text ?? "";
      if (!f["file"] || !f["file_name"]?.text || !types.includes(fileType)) return json(res, 400, { code: 234001, msg: "Invalid request param." });
      if (f["file"].bytes.length === 0) return json(res, 400, { code: 234010, msg: "File's size can't be 0." });
      if (f["file"].bytes.length > 30 * 1024 * 1024) return json(res, 400, { code: 234006, msg: "The file size exceed the max value." });
      const fileKey = `file_v3_standin_${++fileSeq}`;
      uploads.set(fileKey, { name: f["file_name"].text, fileType, bytes: f["file"].bytes });
      return json(res, 200, { code: 0, msg: "success", data: { file_key: fileKey } });
    }
    m0 = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/resources\/([^/]+)$/.exec(p);
    if (m0 && req.method === "GET") {
      const r = resources.get(decodeURIComponent(m0[2]!));
      if (url.searchParams.get("type") !== "file" && url.searchParams.get("type") !== "image") return json(res, 400, { code: 234001, msg: "Invalid request param." });
      if (!r || r.messageId !== decodeURIComponent(m0[1]!)) return json(res, 400, { code: 234003, msg: "File not in msg." });
      if (r.chunked) {
        // A download whose size is not declared up front: the bot must stop reading at its cap on its own.
        res.writeHead(200, { "content-type": "application/octet-stream" });
        for (let at = 0; at < r.bytes.length && !res.destroyed; at += 1 << 20) {
          if (!res.write(Buffer.from(r.bytes.subarray(at, at + (1 << 20))))) {
            await new Promise<void>((ok) => {
              const done = () => { res.off("drain", done); res.off("close", done); ok(); };
              res.on("drain", done);
              res.on("close", done);
            });
          }
        }
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(r.bytes.length) });
      return res.end(Buffer.from(r.bytes));
    }
    if (p === "/open-apis/im/v1/messages" && req.method === "POST") {
      const id = createOnce(body, () => `om_sent_${++msg}`);
      sent.set(id, String((body as { receive_id?: unknown } | null)?.receive_id ?? ""));
      return json(res, 200, { code: 0, msg: "success", data: { message_id: id } });
    }
    if (/^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/.test(p)) {
      const id = createOnce(body, () => `om_reply_${++msg}`);
      sent.set(id, "");
      return json(res, 200, { code: 0, msg: "success", data: { message_id: id } });
    }
    const u = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/urgent_app$/.exec(p);
    if (u && req.method === "PATCH") {
      const messageId = decodeURIComponent(u[1]!);
      const list = (body as { user_id_list?: unknown } | null)?.user_id_list;
      const fail = (code: number, m: string) => json(res, 400, { code, msg: m });
      if (!urgent.scopeGranted) return fail(230027, "Lack of necessary permissions.");
      if (url.searchParams.get("user_id_type") !== "open_id") return fail(230001, "Your request contains an invalid request parameter, ext=invalid user_id_type.");
      if (!Array.isArray(list) || list.length === 0) return fail(230001, "Your request contains an invalid request parameter, ext=user_id_list is empty.");
      if (!sent.has(messageId)) return fail(230012, "Bot is NOT the sender of the message.");
      if (urgent.botNotIn.has(sent.get(messageId)!)) return fail(230002, "The bot can not be outside the group.");
      const ids = list.map(String);
      if (ids.some((id) => (urgent.unread.get(id) ?? 0) >= 200)) return fail(230023, "The user has too many unread urgent messages.");
      const invalid = ids.filter((id) => urgent.invalidUsers.has(id));
      const ok = ids.filter((id) => !urgent.invalidUsers.has(id));
      for (const id of ok) urgent.unread.set(id, (urgent.unread.get(id) ?? 0) + 1);
      urgent.calls.push({ messageId, userIds: ok });
      return json(res, 200, { code: 0, msg: "success", data: { invalid_user_id_list: invalid } });
    }
    if (/^\/open-apis\/im\/v1\/messages\/[^/]+$/.test(p) && req.method === "PATCH") return json(res, 200, { code: 0, msg: "success", data: {} });
    if (p === "/open-apis/ephemeral/v1/send") {
      // The ephemeral API works in ordinary groups only; Lark refuses topic chats with 18053 "chat can not be thread".
      const chat = chats.get(String((body as { chat_id?: unknown } | null)?.chat_id ?? ""));
      if (chat && (chat.chat_mode !== "group" || chat.group_message_type === "thread")) return json(res, 400, { code: 18053, msg: "chat can not be thread" });
      return json(res, 200, { code: 0, msg: "ok", data: { message_id: `om_eph_${++msg}` } });
    }
    const chatGet = /^\/open-apis\/im\/v1\/chats\/([^/]+)$/.exec(p);
    if (chatGet && req.method === "GET") {
      const chat = chats.get(decodeURIComponent(chatGet[1]!)) ?? { chat_mode: "group", group_message_type: "chat" };
      return json(res, 200, { code: 0, msg: "success", data: { name: "stand-in chat", chat_mode: chat.chat_mode, group_message_type: chat.group_message_type ?? "chat" } });
    }
    if (p === "/open-apis/interactive/v1/card/update") return json(res, 200, { code: 0, msg: "ok", data: {} });
    let m = /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(p);
    if (m) {
      const depts = users.get(decodeURIComponent(m[1]!));
      if (!depts) return json(res, 400, { code: 41050, msg: "no user authority" });
      return json(res, 200, { code: 0, msg: "success", data: { user: { open_id: m[1], department_ids: depts } } });
    }
    m = /^\/open-apis\/contact\/v3\/departments\/([^/]+)$/.exec(p);
    if (m) {
      const name = departments.get(decodeURIComponent(m[1]!));
      return name ? json(res, 200, { code: 0, msg: "success", data: { department: { name, open_department_id: m[1] } } }) : json(res, 400, { code: 40003, msg: "no department" });
    }
    json(res, 404, { code: 404, msg: `stand-in has no ${req.method} ${p}` });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  // Message calls only: uploads, resource downloads and chat look-ups are not messages (see `uploads` / `resources`).
  const sends = () =>
    requests.filter((r) => !r.path.startsWith("/open-apis/auth") && !r.path.startsWith("/open-apis/contact") && r.path !== "/open-apis/im/v1/files" && !r.path.includes("/resources/") && !r.path.startsWith("/open-apis/im/v1/chats/"));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sends,
    failNext: (n, how, only) => {
      for (let i = 0; i < n; i++) failures.push({ ...how, only });
    },
    setDelay: (ms) => void (delay = ms),
    hold(only) {
      holdOnly = only;
      released = new Promise((r) => (releaseHeld = r));
    },
    release() {
      holdOnly = null;
      releaseHeld();
    },
    get dedupeByUuid() {
      return state.dedupeByUuid;
    },
    set dedupeByUuid(on: boolean) {
      state.dedupeByUuid = on;
    },
    created,
    users,
    departments,
    uploads,
    resources,
    chats,
    urgent,
    async waitForSends(n, ms = 10_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const s = sends().filter((r) => r.method !== "GET");
        if (s.length >= n) return s;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`stand-in saw ${sends().length} sends, wanted ${n}`);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
