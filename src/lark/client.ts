import * as lark from "@larksuiteoapi/node-sdk";
import type { LarkConfig } from "../config.js";
import type { Logger } from "../events/types.js";
import type { OutboxRow } from "../store/schema.js";
import { DubanError } from "../domain/errors.js";
import type { ChatInfo, Directory, FileSource } from "./messenger.js";
import { fromBase64, type OutboxPayload } from "./outbox.js";
import { describeLarkError, larkBodyFields, larkErrorFields, type LarkErrorFields, errorLogFields, larkLogFields } from "./errors.js";

/** A delivery failure, classified: retryable ones come back later, permanent ones are kept as failed. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Seconds Lark asked us to wait (x-ogw-ratelimit-reset), when it said. */
    readonly retryAfterSeconds: number | null,
    readonly code: number | null,
    /** What the log shows: http status, Lark's code and msg, log_id (never the request or its token). */
    readonly fields: LarkErrorFields = {},
  ) {
    super(message);
    this.name = "SendError";
  }
}

// 11247 is left out on purpose: it is a daily batch-send quota, so a retry the same day cannot succeed.
const RETRYABLE_CODES = new Set([99991400, 230020, 11232, 11233, 99991663, 99991661]);

export function createLarkClient(cfg: LarkConfig, log: Logger): lark.Client {
  return new lark.Client({
    appId: cfg.LARK_APP_ID,
    appSecret: cfg.LARK_APP_SECRET,
    appType: lark.AppType.SelfBuild,
    domain: cfg.LARK_DOMAIN,
    // Each client its own token cache: the SDK default is process-wide and would mix apps in tests.
    cache: new lark.DefaultCache(),
    // The SDK's own instance, typed as plain axios, answers with the body (its interceptor unwraps it) as
    // HttpInstance describes.
    httpInstance: withoutGetBodies(lark.defaultHttpInstance as unknown as lark.HttpInstance),
    loggerLevel: lark.LoggerLevel.fatal,
    logger: {
      error: (...a: unknown[]) => log.error("lark sdk", sdkLogFields(a)),
      warn: (...a: unknown[]) => log.warn("lark sdk", sdkLogFields(a)),
      info: () => {},
      debug: () => {},
      trace: () => {},
    },
  });
}

/**
 * The SDK's generated GET methods (contact.user.get, im.chat.get, messageResource.get) pass `data: {}`, which axios
 * sends as a body. A fetch-based runtime refuses that outright — workerd throws "Request with a GET or HEAD method
 * cannot have a body" — so on Workers every department, chat and file look-up failed. A GET body means nothing in
 * HTTP, so it is dropped on every runtime; everything else goes through the SDK's own instance unchanged.
 */
export function withoutGetBodies(http: lark.HttpInstance): lark.HttpInstance {
  const strip = <D>(opts: lark.HttpRequestOptions<D>, method?: string): lark.HttpRequestOptions<D> => {
    const m = (method ?? opts.method ?? "get").toLowerCase();
    if (m !== "get" && m !== "head") return opts;
    const { data: _ignored, ...rest } = opts;
    return rest;
  };
  return {
    request: <T, R, D>(opts: lark.HttpRequestOptions<D>) => http.request<T, R, D>(strip(opts)),
    get: <T, R, D>(url: string, opts?: lark.HttpRequestOptions<D>) => http.get<T, R, D>(url, opts && strip(opts, "get")),
    head: <T, R, D>(url: string, opts?: lark.HttpRequestOptions<D>) => http.head<T, R, D>(url, opts && strip(opts, "head")),
    delete: (url, opts) => http.delete(url, opts),
    options: (url, opts) => http.options(url, opts),
    post: (url, data, opts) => http.post(url, data, opts),
    put: (url, data, opts) => http.put(url, data, opts),
    patch: (url, data, opts) => http.patch(url, data, opts),
  };
}

/**
 * What the SDK's own logger is handed (strings, and error objects that carry the request with its Authorization
 * header): strings as they are, anything else reduced to the fields of a Lark error. Never `String(args)`, which
 * printed "[object Object]", nor a serialised object, which would print the tenant_access_token.
 */
export function sdkLogFields(args: unknown[]): Record<string, unknown> {
  // The SDK hands its logger arrays of its own arguments (nested), so flatten deeply before looking at them.
  const flat = (args as unknown[]).flat(4);
  const text = flat.filter((a): a is string => typeof a === "string").join(" ").slice(0, 500);
  const errors = flat.filter((a) => a !== null && typeof a === "object").map((a) => larkErrorFields(a));
  return { ...(text ? { detail: text } : {}), ...(errors.length === 1 ? larkLogFields(errors[0]!) : errors.length ? { errors } : {}) };
}

function classify(err: unknown): SendError {
  const f = larkErrorFields(err);
  const status = f.http_status ?? null;
  const code = f.code ?? null;
  const e = err as { response?: { headers?: Record<string, string> } };
  const reset = Number(e.response?.headers?.["x-ogw-ratelimit-reset"]);
  const retryable = status === null || status === 429 || status >= 500 || (code !== null && RETRYABLE_CODES.has(code));
  return new SendError(describeLarkError(f), retryable, Number.isFinite(reset) && reset > 0 ? reset : null, code, f);
}

function check(res: { code?: number; msg?: string; data?: { message_id?: string } } | undefined): string | null {
  if (res && typeof res.code === "number" && res.code !== 0) {
    const f = larkBodyFields(res);
    throw new SendError(describeLarkError(f), RETRYABLE_CODES.has(res.code), null, res.code, f);
  }
  return res?.data?.message_id ?? null;
}

/** Delivers one outbox row through the official SDK; returns the Lark message id when there is one. */
export async function deliver(client: lark.Client, row: OutboxRow): Promise<string | null> {
  const p = JSON.parse(row.payload) as OutboxPayload;
  const content = JSON.stringify(p.card);
  // Lark sends at most one message per uuid per hour: a retry after a lost answer does not post twice.
  const uuid = `duban-${row.id}`;
  try {
    switch (row.kind) {
      case "reply":
        return check(await client.im.message.reply({ path: { message_id: row.target }, data: { msg_type: "interactive", content, uuid } }));
      case "send_chat":
      case "send_user":
        return check(
          await client.im.message.create({
            params: { receive_id_type: row.kind === "send_chat" ? "chat_id" : "open_id" },
            data: { receive_id: row.target, msg_type: "interactive", content, uuid },
          }),
        );
      case "patch":
        return check(await client.im.message.patch({ path: { message_id: row.target }, data: { content } }));
      case "ephemeral":
        return check(
          await client.request({ method: "POST", url: "/open-apis/ephemeral/v1/send", data: { chat_id: p.chatId, open_id: p.openId, msg_type: "interactive", card: p.card } }),
        );
      case "card_update":
        return check(await client.request({ method: "POST", url: "/open-apis/interactive/v1/card/update", data: { token: row.target, card: p.card } }));
      case "send_file": {
        if (!p.file) throw new SendError("send_file row without a file", false, null, null);
        // Upload again on a retry: a file_key is cheap, and a stale one from a lost answer is never reused.
        const up = await client.im.file.create({ data: { file_type: p.file.fileType, file_name: p.file.name, file: Buffer.from(fromBase64(p.file.base64)) } });
        if (!up?.file_key) throw new SendError("file upload returned no file_key", true, null, null);
        return check(
          await client.im.message.create({
            params: { receive_id_type: "chat_id" },
            data: { receive_id: row.target, msg_type: "file", content: JSON.stringify({ file_key: up.file_key }), uuid },
          }),
        );
      }
      case "urgent_app": {
        // The worker has put the delivered message's id into the payload (see withUrgentTarget).
        const messageId = (p as { messageId?: string }).messageId;
        if (!messageId || !p.urgent) throw new SendError("urgent_app without a delivered message", false, null, null);
        const res = (await client.request({
          method: "PATCH",
          url: `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/urgent_app`,
          params: { user_id_type: "open_id" },
          data: { user_id_list: p.urgent.userIds },
        })) as { code?: number; msg?: string; data?: { invalid_user_id_list?: string[] } };
        check(res as { code?: number; msg?: string });
        const invalid = res?.data?.invalid_user_id_list ?? [];
        // Every user refused: nothing was made urgent, which the record must say rather than "sent".
        if (invalid.length > 0 && invalid.length >= p.urgent.userIds.length) {
          throw new SendError(`加急对象无效 invalid_user_id_list: ${invalid.join(",")}`, false, null, null);
        }
        return messageId;
      }
    }
  } catch (err) {
    if (err instanceof SendError) throw err;
    throw classify(err);
  }
}

/** The user's departments, for the admin-set department → unit mapping and for bind requests. */
export class LarkDirectory implements Directory {
  constructor(private readonly client: lark.Client, private readonly log: Logger) {}

  async userDepartments(openId: string): Promise<{ id: string; name: string }[]> {
    try {
      const user = await this.client.contact.user.get({
        path: { user_id: openId },
        params: { user_id_type: "open_id", department_id_type: "open_department_id" },
      });
      const ids = user.data?.user?.department_ids ?? [];
      const out: { id: string; name: string }[] = [];
      for (const id of ids.slice(0, 10)) {
        const dept = await this.client.contact.department.get({ path: { department_id: id }, params: { department_id_type: "open_department_id" } }).catch(() => null);
        out.push({ id, name: dept?.data?.department?.name ?? "" });
      }
      return out;
    } catch (err) {
      this.log.warn("contact lookup failed", { openId, ...errorLogFields(err) });
      return [];
    }
  }

  /** Needs im:chat:readonly (or im:chat); the bot must be in the chat. */
  async chatInfo(chatId: string): Promise<ChatInfo | null> {
    try {
      const res = await this.client.im.chat.get({ path: { chat_id: chatId } });
      const mode = res.data?.chat_mode;
      if (!mode) return null;
      return { chatMode: mode, groupMessageType: (res.data as { group_message_type?: string } | undefined)?.group_message_type ?? null };
    } catch (err) {
      this.log.warn("chat info lookup failed", { chatId, ...errorLogFields(err) });
      return null;
    }
  }
}

/** Plan files sent to the bot, through the message resource API (scope im:message or im:message:readonly). */
export class LarkFiles implements FileSource {
  constructor(private readonly client: lark.Client, private readonly log: Logger) {}

  async download(messageId: string, fileKey: string, maxBytes: number): Promise<Uint8Array> {
    let res: Awaited<ReturnType<lark.Client["im"]["messageResource"]["get"]>>;
    try {
      res = await this.client.im.messageResource.get({ path: { message_id: messageId, file_key: fileKey }, params: { type: "file" } });
    } catch (err) {
      const e = classify(err);
      this.log.warn("file download failed", { messageId, ...larkLogFields(e.fields) });
      throw new DubanError("file_unavailable", `下载文件失败（${e.code ?? "网络错误"}）。请稍后重新发送；如仍失败，请管理员确认机器人已开通 im:message 权限（群聊中的文件还需 im:message.group_msg）。`);
    }
    const tooLarge = () => new DubanError("file_too_large", `文件超过 ${Math.round(maxBytes / 1024 / 1024)} MB，无法导入。请删去附件中的图片或拆分后再发送。`);
    const declared = Number((res.headers as Record<string, unknown> | undefined)?.["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
    const chunks: Uint8Array[] = [];
    let total = 0;
    const stream = res.getReadableStream() as AsyncIterable<Uint8Array> & { destroy?: () => void };
    for await (const chunk of stream) {
      total += chunk.length;
      // Stop reading at the cap: a huge file is refused without being held in memory.
      if (total > maxBytes) {
        stream.destroy?.();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export const noDirectory: Directory = { userDepartments: async () => [], chatInfo: async () => null };
