import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { Logger } from "../events/types.js";
import type { Database, OutboxRow } from "../store/schema.js";
import { SendError } from "./client.js";
import { describeLarkError, larkErrorFields, larkLogFields, errorLogFields } from "./errors.js";
import { appendDelivery } from "../supervision/ledger.js";
import type { OutboxPayload } from "./outbox.js";
import { RateLimiter, type Pacer } from "./rate-limit.js";

export interface OutboxWorkerDeps {
  db: Kysely<Database>;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
  /** Sends one row; throws SendError (or anything, treated as retryable). */
  send: (row: OutboxRow) => Promise<string | null>;
  maxAttempts?: number;
  /** Deliveries in flight at once; the rate limiter still paces them. */
  concurrency?: number;
  /** Rows claimed per round; bounds how long a new interactive answer waits behind bulk rows being paced out. */
  batchSize?: number;
  /** How long a claim stays another instance's: longer than any one send with its retries' pacing can take. */
  leaseMs?: number;
  /**
   * Paces sends under Lark's limits. Default: this process's own windows (one instance). Several instances on one
   * database pass a SharedRateLimiter, since the limits are per app.
   */
  pacer?: Pacer;
  /**
   * PostgreSQL with several instances: claims are taken one at a time across instances (a transaction-scoped
   * advisory lock), so a claim always sees the rows the previous one marked 'sending'. On SQLite and D1 every
   * statement is already serialized and the claim is one statement, so no lock is needed there.
   */
  serializeClaims?: boolean;
}

/** Any fixed number: the advisory lock key all instances take around a claim. */
const CLAIM_LOCK = 0x64756261; // "duba"

/**
 * Delivers due outbox rows in order, paced by Lark's limits, retrying with exponential backoff (or the wait Lark
 * names in x-ogw-ratelimit-reset). A row that keeps failing or fails permanently ends as 'failed' with its error,
 * visible in the table — never dropped.
 */
export function createOutboxWorker(deps: OutboxWorkerDeps) {
  const limiter = deps.pacer ?? new RateLimiter(deps.clock, deps.sleep);
  const maxAttempts = deps.maxAttempts ?? 8;
  const concurrency = deps.concurrency ?? 8;
  const batchSize = deps.batchSize ?? concurrency * 2;
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  let running: Promise<number> | null = null;
  let again: Promise<number> | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  /** 'retry' when the row failed and waits for another attempt: the target's later rows must wait behind it. */
  async function deliverOne(queued: OutboxRow): Promise<"settled" | "retry"> {
    let row = queued;
    await limiter.acquire(rateKey(row));
    try {
      if (row.kind === "urgent_app") row = await withUrgentTarget(deps.db, row);
      const messageId = await deps.send(row);
      await deps.db
        .updateTable("outbox")
        .set({ status: "sent", sent_at: deps.clock.now().toISOString(), attempts: row.attempts + 1, result_message_id: messageId, last_error: null })
        .where("id", "=", row.id)
        .execute();
      await recordDelivery(deps.db, row, "sent", messageId, null, deps.clock.now());
      return "settled";
    } catch (err) {
      if (err instanceof NotYet) {
        await deps.db
          .updateTable("outbox")
          .set({ status: "pending", next_attempt_at: new Date(deps.clock.now().getTime() + 2000).toISOString() })
          .where("id", "=", row.id)
          .execute();
        return "settled";
      }
      const e = err instanceof SendError ? err : new SendError(describeLarkError(larkErrorFields(err)), true, null, null, larkErrorFields(err));
      const attempts = row.attempts + 1;
      const give = !e.retryable || attempts >= maxAttempts;
      const backoffS = e.retryAfterSeconds ?? Math.min(300, 2 ** attempts);
      await deps.db
        .updateTable("outbox")
        .set({
          status: give ? "failed" : "pending",
          attempts,
          last_error: e.message.slice(0, 500),
          next_attempt_at: new Date(deps.clock.now().getTime() + backoffS * 1000).toISOString(),
        })
        .where("id", "=", row.id)
        .execute();
      if (give) await recordDelivery(deps.db, row, "failed", null, e.message.slice(0, 500), deps.clock.now());
      (give ? deps.log.error : deps.log.warn)(give ? "send failed, kept as failed" : "send failed, will retry", {
        id: row.id,
        kind: row.kind,
        target: row.target,
        attempts,
        // Lark's code, msg and log_id (what its support asks for) as fields of their own; the request never.
        ...(Object.keys(e.fields).length ? larkLogFields(e.fields) : { error: e.message }),
      });
      return give ? "settled" : "retry";
    }
  }

  /**
   * Claims up to `batchSize` due rows (null when none is due). A target with a row 'sending' — claimed by this or
   * another instance and not yet settled — is skipped: its later rows wait until that send has an outcome, so one
   * chat gets its messages in id order even when several instances deliver (a reply never lands before the message
   * it follows). A row that failed and waits for its next attempt holds its target's later rows back the same way,
   * until it is sent or given up ('failed' after `maxAttempts`: about 4 minutes of backoff by default), so one
   * broken row delays a chat for a bounded time, never for ever. Rows of one target within a claim are delivered in
   * order by one queue below.
   */
  async function claim(db: Kysely<Database>): Promise<OutboxRow[] | null> {
    const now = deps.clock.now().toISOString();
    const candidates = await db
      .selectFrom("outbox")
      .select("id")
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .where((eb) => eb.not(eb.exists(eb.selectFrom("outbox as busy").select("busy.id").whereRef("busy.target", "=", "outbox.target").where("busy.status", "=", "sending"))))
      .where((eb) => eb.not(eb.exists(waitingForRetryBefore(eb))))
      .orderBy("priority", "desc")
      .orderBy("id")
      // Small claims: an answer queued while a batch is being paced out waits for that batch only.
      .limit(batchSize)
      .execute();
    if (candidates.length === 0) return null;
    const ids = candidates.map((r) => r.id);
    // One statement, so atomic on SQLite and D1: a row another drain took meanwhile is not taken again, and a
    // target another drain started on meanwhile is left to it.
    return db
      .updateTable("outbox")
      .set({ status: "sending", claimed_at: deps.clock.now().toISOString() })
      .where("id", "in", ids)
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .where((eb) =>
        eb.not(eb.exists(eb.selectFrom("outbox as busy").select("busy.id").whereRef("busy.target", "=", "outbox.target").where("busy.status", "=", "sending").where("busy.id", "not in", ids))),
      )
      // Checked again in the claiming statement: an earlier row another drain just failed holds this one back.
      .where((eb) => eb.not(eb.exists(waitingForRetryBefore(eb))))
      .returningAll()
      .execute();
  }

  /** Delivers what is due now; returns how many rows it tried. */
  async function drainOnce(): Promise<number> {
    let tried = 0;
    for (;;) {
      const claimed = deps.serializeClaims
        ? await deps.db.transaction().execute(async (trx) => {
            await sql`SELECT pg_advisory_xact_lock(${CLAIM_LOCK})`.execute(trx);
            return claim(trx);
          })
        : await claim(deps.db);
      if (claimed === null) return tried;
      const due = claimed.sort((a, b) => b.priority - a.priority || a.id - b.id);
      if (due.length === 0) continue;
      // Rows to one target go in order; different targets go in parallel up to `concurrency`.
      const byTarget = new Map<string, OutboxRow[]>();
      for (const r of due) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r]);
      const queues = [...byTarget.values()];
      await Promise.all(
        Array.from({ length: Math.min(concurrency, queues.length) }, async () => {
          for (let q = queues.shift(); q; q = queues.shift()) {
            for (let i = 0; i < q.length; i++) {
              if ((await deliverOne(q[i]!)) === "settled") continue;
              // It waits for a retry: hand the target's later rows back unsent (no attempt spent); the claim leaves
              // them alone until the failed one is sent or given up.
              const rest = q.slice(i + 1).map((r) => r.id);
              if (rest.length) await deps.db.updateTable("outbox").set({ status: "pending", claimed_at: null }).where("id", "in", rest).where("status", "=", "sending").execute();
              break;
            }
          }
        }),
      );
      tried += due.length;
    }
  }

  /**
   * Runs drainOnce now, or once more after the current run when one is in progress; the promise is for a run that
   * started after this call, so a caller that just committed rows sees them handled (the current run may have read
   * the due rows before the commit).
   */
  function kick(): Promise<number> {
    if (running) {
      again ??= running.catch(() => 0).then(() => {
        again = null;
        return stopped ? 0 : kick();
      });
      return again;
    }
    running = drainOnce().finally(() => {
      running = null;
    });
    return running;
  }

  async function reclaimExpired(): Promise<number> {
    const expiry = new Date(deps.clock.now().getTime() - leaseMs).toISOString();
    const r = await deps.db
      .updateTable("outbox")
      .set({ status: "pending", claimed_at: null })
      .where("status", "=", "sending")
      .where((eb) => eb.or([eb("claimed_at", "is", null), eb("claimed_at", "<", expiry)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  return {
    drainOnce,
    kick,
    reclaimExpired,
    /**
     * Polls for due rows and retries every `intervalMs`. Rows left 'sending' by an instance that died are taken
     * back once their claim is older than the lease; another live instance's claims are left alone.
     */
    async start(intervalMs = 1000, o: { soleInstance?: boolean } = {}) {
      // One process on its own SQLite file: whatever is 'sending' was this process's before a crash; resend now.
      if (o.soleInstance) await deps.db.updateTable("outbox").set({ status: "pending", claimed_at: null }).where("status", "=", "sending").execute();
      const tick = () => {
        if (stopped) return;
        reclaimExpired()
          .then(() => kick())
          .catch((err) => deps.log.error("outbox worker error", { ...errorLogFields(err) }))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, intervalMs);
          });
      };
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await again;
    },
  };
}

/** An earlier row to the same target that failed and waits for another attempt (it has attempts, it is not given up). */
function waitingForRetryBefore(eb: ExpressionBuilder<Database & { outbox: OutboxRow }, "outbox">) {
  return eb
    .selectFrom("outbox as earlier")
    .select("earlier.id")
    .whereRef("earlier.target", "=", "outbox.target")
    .whereRef("earlier.id", "<", "outbox.id")
    .where("earlier.status", "=", "pending")
    .where("earlier.attempts", ">", 0);
}

/** The row depends on another send that is still on its way: look again shortly, without spending an attempt. */
class NotYet extends Error {}

/**
 * An urgent call needs the message id of the send it follows, known only once that send is delivered. Rows to one
 * target go in id order, so it is usually there; if not yet, the row waits (retryable), and if that send failed
 * for good there is nothing to make urgent.
 */
async function withUrgentTarget(db: Kysely<Database>, row: OutboxRow): Promise<OutboxRow> {
  const p = JSON.parse(row.payload) as OutboxPayload;
  const after = p.urgent?.after;
  const sent = after ? await db.selectFrom("outbox").select(["status", "result_message_id"]).where("dedupe_key", "=", after).executeTakeFirst() : undefined;
  if (!sent || sent.status === "failed") throw new SendError(`加急对应的消息未送达 (${after ?? "no message"})`, false, null, null);
  if (sent.status !== "sent" || !sent.result_message_id) throw new NotYet();
  return { ...row, payload: JSON.stringify({ ...p, messageId: sent.result_message_id }) };
}

/** Appends the final outcome of a send to the supervision record it belongs to, if any. */
async function recordDelivery(db: Kysely<Database>, row: OutboxRow, result: "sent" | "failed", messageId: string | null, error: string | null, now: Date) {
  let eventId: unknown;
  try {
    eventId = (JSON.parse(row.payload) as OutboxPayload).ledgerEventId;
  } catch {
    return;
  }
  if (typeof eventId !== "number") return;
  await appendDelivery(db, { eventId, outboxId: row.id, target: row.target, result, messageId, error, at: now.toISOString() });
}

/** Lark limits 5/s per chat or user: replies and ephemeral cards count against the chat they land in. */
function rateKey(row: OutboxRow): string {
  if (row.kind === "card_update") return `token:${row.target}`;
  try {
    const chatId = (JSON.parse(row.payload) as { chatId?: unknown }).chatId;
    if (typeof chatId === "string" && chatId) return chatId;
  } catch {
    // An unreadable payload fails in delivery with a clear error; here it only needs some key.
  }
  return row.target;
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
