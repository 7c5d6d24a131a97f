import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { larkEncrypt, larkSignature } from "../../src/http/lark-crypto.js";
import { startRuntime, type Runtime, type RuntimeOptions } from "../../src/node/runtime.js";

export const APP = { id: "cli_test", secret: "secret-test", token: "verify-token-test", key: "encrypt-key-test" };

let seq = 0;
const next = (p: string) => `${p}_${Date.now().toString(36)}_${++seq}`;

/** An im.message.receive_v1 envelope as Lark sends it (group messages carry the @bot placeholder). */
export function messageEvent(o: { text: string; openId: string; chatId?: string; group?: boolean; eventId?: string; messageId?: string; token?: string }) {
  const group = o.group === true;
  return {
    schema: "2.0",
    header: { event_id: o.eventId ?? next("ev"), event_type: "im.message.receive_v1", create_time: String(Date.now()), token: o.token ?? APP.token, app_id: APP.id, tenant_key: "tk" },
    event: {
      sender: { sender_id: { open_id: o.openId, union_id: "on_x", user_id: "u" }, sender_type: "user", tenant_key: "tk" },
      message: {
        message_id: o.messageId ?? next("om"),
        create_time: String(Date.now()),
        chat_id: o.chatId ?? (group ? "oc_group" : `oc_p2p_${o.openId}`),
        chat_type: group ? "group" : "p2p",
        message_type: "text",
        content: JSON.stringify({ text: group ? `@_user_1 ${o.text}` : o.text }),
        ...(group ? { mentions: [{ key: "@_user_1", id: { open_id: "ou_bot" }, mentioned_type: "bot", name: "督办助手", tenant_key: "tk" }] } : {}),
      },
    },
  };
}

/** A card.action.trigger callback as Lark sends it for a button (with the form's values on submit). */
export function cardEvent(o: { openId: string; value: Record<string, unknown>; formValue?: Record<string, unknown>; chatId?: string; messageId?: string; eventId?: string }) {
  return {
    schema: "2.0",
    header: { event_id: o.eventId ?? next("evc"), token: APP.token, create_time: String(Date.now() * 1000), event_type: "card.action.trigger", tenant_key: "tk", app_id: APP.id },
    event: {
      operator: { tenant_key: "tk", open_id: o.openId, union_id: "on_x" },
      token: next("c"),
      action: { tag: "button", name: "submit", value: o.value, ...(o.formValue ? { form_value: o.formValue } : {}) },
      host: "im_message",
      context: { open_message_id: o.messageId ?? next("om"), open_chat_id: o.chatId ?? "oc_chat" },
    },
  };
}

/** An application.bot.menu_v6 event: a tap on the bot's custom menu (event_key as configured in the console). */
export function menuEvent(o: { openId: string; eventKey: string; eventId?: string }) {
  return {
    schema: "2.0",
    header: { event_id: o.eventId ?? next("evm"), event_type: "application.bot.menu_v6", create_time: String(Date.now()), token: APP.token, app_id: APP.id, tenant_key: "tk" },
    event: { operator: { operator_name: "测试用户", operator_id: { open_id: o.openId, union_id: "on_x", user_id: "u" } }, event_key: o.eventKey, timestamp: Math.floor(Date.now() / 1000) },
  };
}

/** Encrypts and signs a body like Lark: {"encrypt": …} plus X-Lark-Request-* headers over the exact bytes sent. */
export async function signedRequest(envelope: unknown, o: { key?: string; timestamp?: number; encrypt?: boolean } = {}) {
  const key = o.key ?? APP.key;
  const body = o.encrypt === false ? JSON.stringify(envelope) : JSON.stringify({ encrypt: await larkEncrypt(key, JSON.stringify(envelope)) });
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = next("n");
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": nonce,
      "x-lark-signature": await larkSignature(ts, nonce, key, new TextEncoder().encode(body)),
    },
  };
}

export function larkEnv(domain: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LARK_APP_ID: APP.id,
    LARK_APP_SECRET: APP.secret,
    LARK_VERIFICATION_TOKEN: APP.token,
    LARK_ENCRYPT_KEY: APP.key,
    LARK_DOMAIN: domain,
    ADMIN_OPEN_IDS: "ou_admin",
    ...extra,
  };
}

/** The local demo: `npm run local`. */
export const localEnv: Record<string, string> = { DUBAN_LOCAL: "1" };

const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** Boots the real bot on loopback with its own temporary SQLite file; `close()` removes it. */
export async function startTestServer(o: RuntimeOptions & { dir?: string } = {}): Promise<Runtime & { dir: string; post: (body: unknown, init?: Partial<RequestInit>) => Promise<Response> }> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "duban-test-"));
  // Without an explicit env the bot runs the local demo, never whatever the shell running the tests has set.
  // No read workers unless a test asks: starting one under tsx costs about 2 s of CPU, and the tests about what the
  // workers answer opt in (test/read-workers.test.ts, test/commands.test.ts).
  const rt = await startRuntime({ port: 0, log: silent, outboxPollMs: 50, readWorkers: 0, ...o, env: o.env ?? localEnv, databasePath: o.databasePath ?? join(dir, "duban.sqlite") });
  return {
    ...rt,
    dir,
    post: (body, init) =>
      fetch(`${rt.url}/webhook/event`, typeof body === "string" || init?.body ? { method: "POST", ...init } as RequestInit : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), ...init }),
    async close() {
      await rt.close();
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
