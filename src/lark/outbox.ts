import type { Kysely } from "kysely";
import { cardJson } from "../../cards/serialised.js";
import type { Card } from "../../cards/types.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../events/types.js";
import { executeReusable, type ReusableValue } from "../store/compiled-once.js";
import type { Database, OutboxRow } from "../store/schema.js";
import { appendDelivery } from "../supervision/ledger.js";
import type { Messenger, OutgoingFile, SendOptions } from "./messenger.js";

export type OutboxKind = OutboxRow["kind"];

export interface OutboxPayload {
  /** Absent on file sends. */
  card?: Card;
  /** A file send: its bytes travel in the row (base64), so a restart or retry still has them. */
  file?: { name: string; fileType: OutgoingFile["fileType"]; base64: string };
  /** For ephemeral sends: the chat and the one user who sees the card; for replies, the chat when known (rate limit). */
  chatId?: string;
  openId?: string;
  viewer?: string;
  /** urgent_app rows: the dedupe key of the message to make urgent, and who gets the notification. */
  urgent?: { after: string; userIds: string[] };
  /** Supervision event whose record gets this send's delivery result. */
  ledgerEventId?: number;
}

/**
 * A Messenger that records every send in the outbox table before anything goes over the network, so a crash or an
 * open-platform outage loses nothing: the worker delivers due rows and retries. `dedupeKey` makes a send happen
 * once (the insert is a no-op the second time).
 */
export class OutboxMessenger implements Messenger {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly opts: { deliveredImmediately?: boolean; onEnqueue?: () => void; log?: Logger } = {},
  ) {}

  /**
   * The same messenger writing through `db` (an open transaction). The worker is woken by `committed()`, once the
   * rows are visible to it: woken earlier it would find nothing and wait for its next poll.
   */
  within(db: Kysely<Database>): { messenger: OutboxMessenger; committed(): void } {
    let enqueued = false;
    const messenger = new OutboxMessenger(db, this.clock, { ...this.opts, onEnqueue: () => void (enqueued = true) });
    return { messenger, committed: () => void (enqueued && this.opts.onEnqueue?.()) };
  }

  reply(messageId: string, card: Card, o?: SendOptions) {
    return this.enqueue("reply", messageId, { card }, o);
  }
  sendToChat(chatId: string, card: Card, o?: SendOptions) {
    return this.enqueue("send_chat", chatId, { card }, o);
  }
  sendToUser(openId: string, card: Card, o?: SendOptions) {
    return this.enqueue("send_user", openId, { card }, o);
  }
  ephemeral(chatId: string, openId: string, card: Card, o?: SendOptions) {
    return this.enqueue("ephemeral", chatId, { card, chatId, openId }, o);
  }
  patch(messageId: string, card: Card, o?: SendOptions) {
    return this.enqueue("patch", messageId, { card }, o);
  }
  updateByToken(token: string, card: Card, o?: SendOptions) {
    return this.enqueue("card_update", token, { card }, o);
  }
  sendFile(chatId: string, file: OutgoingFile, o?: SendOptions) {
    return this.enqueue("send_file", chatId, { file: { name: file.name, fileType: file.fileType, base64: toBase64(file.bytes) }, chatId }, o);
  }
  urgentApp(target: string, afterDedupeKey: string, openIds: string[], card: Card, o?: SendOptions) {
    return this.enqueue("urgent_app", target, { card, urgent: { after: afterDedupeKey, userIds: openIds } }, o);
  }

  private async enqueue(kind: OutboxKind, target: string, payload: OutboxPayload, o?: SendOptions): Promise<void> {
    const now = this.clock.now().toISOString();
    const local = this.opts.deliveredImmediately === true;
    const values = [
      o?.dedupeKey ?? null,
      kind,
      target,
      payloadJson({
        ...payload,
        ...(o?.viewer ? { viewer: o.viewer } : {}),
        ...(o?.chatId && !payload.chatId ? { chatId: o.chatId } : {}),
        ...(o?.ledgerEventId !== undefined ? { ledgerEventId: o.ledgerEventId } : {}),
      }),
      local ? "sent" : "pending",
      0,
      now,
      null,
      now,
      local ? now : null,
      null,
      o?.bulk ? 0 : 1,
    ] as const;
    // Compiled once (src/store/compiled-once.ts): every answer goes through here.
    const [res] = await executeReusable(this.db, { key: "outbox/enqueue", build: (v: typeof values) => insertOutboxRow(this.db, v) }, values);
    // RETURNING rather than the affected-row count: D1's driver reports counts differently from better-sqlite3.
    if (!res) return;
    if (local && o?.ledgerEventId !== undefined) {
      // Local mode has no delivery step: the local outbox is the destination, so the record says sent now.
      await appendDelivery(this.db, { eventId: o.ledgerEventId, outboxId: res.id, target, result: "sent", messageId: null, error: null, at: now });
    }
    if (local) {
      this.opts.log?.info(localDeliveryLine(kind, target, payload));
      // Stored as sent: waking the worker would only have it look for due rows and find none (a claim statement per
      // answer on the busiest path). Rows another process queues are still found by its poll.
      return;
    }
    this.opts.onEnqueue?.();
  }
}

/** Every column a parameter, in the order of `values` (the compiled-once check needs each value in its place). */
function insertOutboxRow(db: Kysely<Database>, [dedupeKey, kind, target, payload, status, attempts, nextAttemptAt, lastError, createdAt, sentAt, resultMessageId, priority]: readonly ReusableValue[]) {
  return db
    .insertInto("outbox")
    .values({
      dedupe_key: dedupeKey as string | null,
      kind: kind as OutboxKind,
      target: target as string,
      payload: payload as string,
      status: status as OutboxRow["status"],
      attempts: attempts as number,
      next_attempt_at: nextAttemptAt as string,
      last_error: lastError as string | null,
      created_at: createdAt as string,
      sent_at: sentAt as string | null,
      result_message_id: resultMessageId as string | null,
      priority: priority as number,
    })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returning("id");
}

/**
 * JSON.stringify(payload), with a card whose JSON is already known (cards/serialised.ts) spliced in rather than
 * serialised again. The card is the first key of every payload that has one, as the send methods above build them.
 */
export function payloadJson(payload: OutboxPayload): string {
  const { card, ...rest } = payload;
  if (!card || Object.keys(payload)[0] !== "card") return JSON.stringify(payload);
  const others = JSON.stringify(rest);
  return `{"card":${cardJson(card)}${others === "{}" ? "" : `,${others.slice(1, -1)}`}}`;
}

/** What local mode prints for a delivered send: the terminal log is its Lark client. */
export function localDeliveryLine(kind: OutboxKind, target: string, payload: OutboxPayload): string {
  const what = payload.card ? summarize(payload.card) : `文件 ${payload.file?.name ?? ""}（${Math.round(((payload.file?.base64.length ?? 0) * 3) / 4 / 1024)} KB）`;
  return `本地发件箱 local outbox ← ${kind} ${target}: ${what}`;
}

/** One readable line for the log: the card title and the first text. */
export function summarize(card: Card): string {
  const header = card.header as { title?: { content?: string } } | undefined;
  const first = (card.body.elements as { tag?: string; content?: string }[]).find((e) => e.tag === "markdown")?.content ?? "";
  return `【${header?.title?.content ?? "卡片"}】${first.replace(/<[^>]+>/g, "").replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/\s+/g, " ").slice(0, 80)}`;
}

/** Sent rows are kept this long: long enough to answer "did the digest of week N go out?", short enough not to grow. */
export const SENT_OUTBOX_RETENTION_DAYS = 90;

/**
 * Removes delivered rows past their retention. Pending and failed rows stay whatever their age: one is still to
 * be sent, the other is an operator's to look at. A dedupe key of a removed row is free again, which is harmless
 * because every key names a day or week that is long past.
 */
export async function pruneSentOutbox(db: Kysely<Database>, olderThan: Date): Promise<number> {
  const r = await db.deleteFrom("outbox").where("status", "=", "sent").where("sent_at", "<", olderThan.toISOString()).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Base64 without Buffer, so the Workers build needs no Node shim for it. */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
