import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { noticeCard } from "../../cards/notice.js";
import type { Card, CardActionResponse } from "../../cards/types.js";
import { fromBase64, type OutboxPayload } from "../lark/outbox.js";
import { lookupUnits, unitLabel } from "../domain/units-lookup.js";
import type { Database } from "../store/schema.js";
import { demoOpenIdForUnit } from "../store/unit-names.js";
import { initialOption } from "./render.js";

/**
 * The terminal stand-in for a Lark client in local mode: it builds the events Lark would send (a text message, a
 * card callback), posts them to the bot on loopback, and reads the bot's answers from the local outbox.
 */
export interface ChatTarget {
  url: string;
  db: Kysely<Database>;
  /** Waits until the bot has finished the work it queued (in-process runs); otherwise watches the event's inbox row. */
  idle?: () => Promise<void>;
  /** Longest wait for a running bot to finish one event (a stuck bot must not hang the terminal). */
  maxWaitMs?: number;
}

export interface Speaker {
  openId: string;
  label: string;
}

export async function resolveSpeaker(db: Kysely<Database>, as: string): Promise<Speaker> {
  if (/^ou_/.test(as)) return { openId: as, label: as };
  const units = (await lookupUnits(db, as)).filter((u) => u.kind === "unit");
  if (units.length === 0) throw new Error(`找不到单位“${as}”。--as 可写 open_id（ou_…）或种子数据中的单位名称，例如 渝中区卫健委`);
  if (units.length > 1) {
    throw new Error(`“${as}”对应多个单位，请加上地区：\n${units.map((u) => `  ${unitLabel(u)}  →  --as ${u.jurisdiction.replace(/^.*?[省市](?=.+[区县])/, "")}${u.name}`).join("\n")}`);
  }
  const u = units[0]!;
  return { openId: await demoOpenIdForUnit(u.jurisdiction, u.name), label: `${unitLabel(u)} 演示账号` };
}

const rid = () => crypto.randomUUID().replace(/-/g, "").slice(0, 16);

export interface Delivered {
  id: number;
  kind: string;
  target: string;
  /** For a file message, a one-line card naming the file (what the Lark client shows as the message). */
  card: Card;
  /** The file of a file message (the 台账 workbook). */
  file?: { name: string; bytes: Uint8Array };
}

async function lastOutboxId(db: Kysely<Database>): Promise<number> {
  return (await db.selectFrom("outbox").select((eb) => eb.fn.max("id").as("m")).executeTakeFirst())?.m ?? 0;
}

/**
 * Rows the bot wrote after `after`, once it has finished `eventId`. A running bot marks the event done or failed in
 * processed_events when its work ends, so a refusal or a silent command returns as soon as it is decided.
 */
async function newRows(t: ChatTarget, after: number, eventId: string): Promise<Delivered[]> {
  if (t.idle) await t.idle();
  else {
    const deadline = Date.now() + (t.maxWaitMs ?? 30_000);
    for (;;) {
      const row = await t.db.selectFrom("processed_events").select("status").where("key", "=", `event:${eventId}`).executeTakeFirst();
      if (row && row.status !== "received") break;
      if (Date.now() > deadline) throw new Error(`机器人 ${Math.round((t.maxWaitMs ?? 30_000) / 1000)} 秒内没有处理完这条消息（事件 ${eventId}）。看看机器人终端里的日志。`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const rows = await t.db.selectFrom("outbox").selectAll().where("id", ">", after).orderBy("id").execute();
  return rows.map((r) => {
    const p = JSON.parse(r.payload) as OutboxPayload;
    if (p.file) {
      const bytes = fromBase64(p.file.base64);
      return { id: r.id, kind: r.kind, target: r.target, card: noticeCard("文件", `📎 ${p.file.name}（${Math.max(1, Math.round(bytes.length / 1024))} KB）`, "grey"), file: { name: p.file.name, bytes } };
    }
    return { id: r.id, kind: r.kind, target: r.target, card: p.card! };
  });
}

async function post(t: ChatTarget, body: unknown): Promise<Response> {
  return fetch(`${t.url}/webhook/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/**
 * Sends a file as `speaker` (a plan to import): the bytes go to the local uploads folder under a new file_key,
 * where local mode's FileSource finds them, and the bot gets the file message event Lark would send.
 */
export async function sendFileMessage(t: ChatTarget, speaker: Speaker, file: { name: string; bytes: Uint8Array }, uploadsDir: string): Promise<Delivered[]> {
  const before = await lastOutboxId(t.db);
  const key = `file_local_${rid()}`;
  mkdirSync(uploadsDir, { recursive: true });
  writeFileSync(join(uploadsDir, key), file.bytes);
  const eventId = `ev_${rid()}`;
  const res = await post(t, messageEnvelope(eventId, speaker, {
    chat_id: `oc_p2p_${speaker.openId}`,
    chat_type: "p2p",
    message_type: "file",
    content: JSON.stringify({ file_key: key, file_name: file.name }),
  }));
  if (!res.ok) throw new Error(`机器人拒绝了消息 bot answered HTTP ${res.status}: ${await res.text()}`);
  return newRows(t, before, eventId);
}

/** The im.message.receive_v1 envelope Lark would post for a message `speaker` sent. */
function messageEnvelope(eventId: string, speaker: Speaker, message: Record<string, unknown>) {
  return {
    schema: "2.0",
    header: { event_id: eventId, event_type: "im.message.receive_v1", create_time: String(Date.now()), token: "local", app_id: "cli_local", tenant_key: "local" },
    event: {
      sender: { sender_id: { open_id: speaker.openId }, sender_type: "user", tenant_key: "local" },
      message: { message_id: `om_cli_${rid()}`, ...message },
    },
  };
}

/** Sends a text message as `speaker`; returns what the bot sent in answer. */
export async function say(t: ChatTarget, speaker: Speaker, text: string, chat: { chatId?: string; group?: boolean } = {}): Promise<Delivered[]> {
  const before = await lastOutboxId(t.db);
  const group = chat.group === true;
  const chatId = chat.chatId ?? (group ? "oc_local_group" : `oc_p2p_${speaker.openId}`);
  const eventId = `ev_${rid()}`;
  const res = await post(t, messageEnvelope(eventId, speaker, {
    chat_id: chatId,
    chat_type: group ? "group" : "p2p",
    message_type: "text",
    content: JSON.stringify({ text: group ? `@_user_1 ${text}` : text }),
    ...(group ? { mentions: [{ key: "@_user_1", id: { open_id: "ou_bot" }, mentioned_type: "bot", name: "督办助手" }] } : {}),
  }));
  if (!res.ok) throw new Error(`机器人拒绝了消息 bot answered HTTP ${res.status}: ${await res.text()}`);
  return newRows(t, before, eventId);
}

interface ButtonRef {
  label: string;
  name?: string;
  value: Record<string, unknown>;
  formInputs: { name: string; labels: string[]; defaultValue?: string }[];
}

/** Buttons of a card, each with the form it submits (if inside one). */
export function buttonsOf(card: Card): ButtonRef[] {
  const out: ButtonRef[] = [];
  const walk = (els: unknown[], form: ButtonRef["formInputs"] | null) => {
    for (const raw of els) {
      const e = raw as Record<string, unknown>;
      if (e["tag"] === "form") {
        const inputs: ButtonRef["formInputs"] = [];
        for (const f of (e["elements"] as Record<string, unknown>[]) ?? []) {
          if (f["tag"] === "input" || f["tag"] === "select_static") {
            const t = (x: unknown) => (x && typeof x === "object" ? String((x as { content?: unknown }).content ?? "") : "");
            inputs.push({
              name: String(f["name"]),
              labels: [String(f["name"]), t(f["label"]), t(f["placeholder"])].filter(Boolean),
              defaultValue: (f["default_value"] as string | undefined) ?? (f["tag"] === "select_static" ? initialOption(f) ?? undefined : undefined),
            });
          }
        }
        walk((e["elements"] as unknown[]) ?? [], inputs);
      } else if (e["tag"] === "button") {
        const beh = (e["behaviors"] as { type: string; value?: Record<string, unknown> }[] | undefined)?.find((b) => b.type === "callback");
        if (beh?.value) {
          out.push({
            label: String((e["text"] as { content?: string } | undefined)?.content ?? ""),
            name: e["name"] as string | undefined,
            value: beh.value,
            formInputs: form ?? [],
          });
        }
      } else {
        for (const k of ["elements", "columns"]) if (Array.isArray(e[k])) walk(e[k] as unknown[], form);
      }
    }
  };
  walk(card.body.elements, null);
  return out;
}

export interface ShownCard {
  /** 1 = the newest card this user can see; what --card takes. */
  index: number;
  card: Card;
  messageId: string;
  chatId: string | null;
  buttons: ButtonRef[];
}

/**
 * The cards with buttons this user has been shown, newest first, each in its latest state: a callback answer that
 * replaced a card (a `patch` row) stands for that message, the original is not listed again.
 */
export async function cardsFor(db: Kysely<Database>, openId: string, limit = 20): Promise<ShownCard[]> {
  const rows = await db.selectFrom("outbox").selectAll().orderBy("id", "desc").limit(500).execute();
  const seen = new Set<string>();
  const out: ShownCard[] = [];
  for (const r of rows) {
    const p = JSON.parse(r.payload) as { card?: Card; openId?: string; chatId?: string; viewer?: string; from?: string };
    const mine =
      (r.kind === "ephemeral" && p.openId === openId) ||
      (r.kind === "send_user" && r.target === openId) ||
      (r.kind === "patch" && p.viewer === openId) ||
      (r.kind === "reply" && p.viewer === openId);
    if (!mine || !p.card) continue;
    const messageId = r.kind === "patch" ? r.target : `om_local_${r.id}`;
    if (seen.has(messageId)) continue;
    seen.add(messageId);
    const buttons = buttonsOf(p.card);
    if (buttons.length === 0) continue;
    out.push({ index: out.length + 1, card: p.card, messageId, chatId: p.chatId ?? null, buttons });
    if (out.length >= limit) break;
  }
  return out;
}

/** The last card the bot showed this user (sent, or replaced by a callback answer). */
export async function lastCardFor(db: Kysely<Database>, openId: string): Promise<ShownCard | null> {
  return (await cardsFor(db, openId, 1))[0] ?? null;
}

/** A button: its number on the card (1-based, as `--cards` prints), its exact text or name, or part of the text. */
function findButton(buttons: ButtonRef[], label: string): ButtonRef | undefined {
  if (/^\d+$/.test(label)) return buttons[Number(label) - 1];
  return buttons.find((x) => x.label === label || x.name === label) ?? buttons.find((x) => x.label.includes(label));
}

export function cardTitle(card: Card): string {
  const h = (card as { header?: { title?: { content?: string } } }).header;
  return h?.title?.content ?? (card as { config?: { summary?: { content?: string } } }).config?.summary?.content ?? "（无标题）";
}

/**
 * Clicks a button of the user's last card: `label` matches the button text or name; `fields` fill the form by the
 * inputs' names, labels or placeholders (数值=85, 周期=2026-11). Returns the toast and the updated card.
 */
export async function click(
  t: ChatTarget,
  speaker: Speaker,
  label: string,
  fields: Record<string, string>,
  opts: { card?: number } = {},
): Promise<{ response: CardActionResponse; sent: Delivered[]; card: ShownCard }> {
  const shown = await cardsFor(t.db, speaker.openId);
  if (shown.length === 0) throw new Error("还没有可以点击的卡片。先发送一条命令，例如 /我的任务");
  let last: ShownCard;
  let b: ButtonRef | undefined;
  if (opts.card !== undefined) {
    const chosen = shown[opts.card - 1];
    if (!chosen) throw new Error(`没有第 ${opts.card} 张卡片：可点击的卡片共 ${shown.length} 张（--cards 列出）。`);
    last = chosen;
    b = findButton(last.buttons, label);
    if (!b) throw new Error(`第 ${opts.card} 张卡片“${cardTitle(last.card)}”上没有按钮“${label}”。可用的按钮：${last.buttons.map((x, i) => `${i + 1} ${x.label}`).join("、")}`);
  } else {
    // The newest card that has this button: a newer card must not hide an older request waiting for approval.
    const hit = /^\d+$/.test(label) ? { c: shown[0]!, b: findButton(shown[0]!.buttons, label) } : shown.map((c) => ({ c, b: findButton(c.buttons, label) })).find((x) => x.b);
    if (!hit?.b) {
      throw new Error(`最近的卡片上都没有按钮“${label}”。可点击的卡片：\n${shown.slice(0, 5).map((c) => `  --card ${c.index}  ${cardTitle(c.card)}  ${c.buttons.map((x) => `[${x.label}]`).join(" ")}`).join("\n")}`);
    }
    last = hit.c;
    b = hit.b;
  }
  const formValue: Record<string, string> = {};
  for (const input of b.formInputs) if (input.defaultValue !== undefined) formValue[input.name] = String(input.defaultValue);
  for (const [k, v] of Object.entries(fields)) {
    const input = b.formInputs.find((i) => i.labels.some((l) => l === k || l.startsWith(k)));
    if (!input) throw new Error(`表单里没有字段“${k}”。可填字段：${b.formInputs.map((i) => i.labels[1] || i.name).join("、")}`);
    formValue[input.name] = v;
  }
  const before = await lastOutboxId(t.db);
  const eventId = `ev_${rid()}`;
  const res = await post(t, {
    schema: "2.0",
    header: { event_id: eventId, event_type: "card.action.trigger", create_time: String(Date.now() * 1000), token: "local", app_id: "cli_local", tenant_key: "local" },
    event: {
      operator: { open_id: speaker.openId, tenant_key: "local" },
      token: `c-${rid()}`,
      action: { tag: "button", name: b.name ?? "", value: b.value, form_value: formValue },
      host: "im_message",
      context: { open_message_id: last.messageId, open_chat_id: last.chatId ?? "oc_local" },
    },
  });
  if (!res.ok) throw new Error(`机器人拒绝了回调 bot answered HTTP ${res.status}: ${await res.text()}`);
  const response = (await res.json()) as CardActionResponse;
  if (response.card) {
    // In Lark the clicked card now shows the answer's card; keep that in the local outbox so the next click sees it.
    const now = new Date().toISOString();
    await t.db
      .insertInto("outbox")
      .values({
        dedupe_key: null, kind: "patch", target: last.messageId, payload: JSON.stringify({ card: response.card.data, viewer: speaker.openId, chatId: last.chatId }),
        status: "sent", attempts: 0, next_attempt_at: now, last_error: null, created_at: now, sent_at: now, result_message_id: null,
      })
      .execute();
  }
  return { response, sent: (await newRows(t, before, eventId)).filter((r) => r.kind !== "patch"), card: last };
}
