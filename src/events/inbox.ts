import type { Kysely } from "kysely";
import { executeReusable } from "../store/compiled-once.js";
import type { Database, ProcessedEventsTable } from "../store/schema.js";

type EventStatus = ProcessedEventsTable["status"];

/**
 * Durable de-duplication: Lark delivers at least once, retries for ~7 hours and sometimes resends after a 200.
 * One row per event_id, plus one per message_id for messages (the receive doc says to de-duplicate on it).
 * The row keeps the payload until it is processed, so a restart can finish what a crash interrupted.
 */
export async function recordEvent(
  db: Kysely<Database>,
  e: {
    eventId: string;
    messageId?: string | null;
    kind: string;
    payload: unknown;
    now: Date;
    /**
     * "done" when the event's work commits in the same transaction as this row: the row is then never seen
     * unfinished, and marking it done afterwards would be one more statement for nothing.
     */
    status?: "received" | "done";
  },
): Promise<boolean> {
  const receivedAt = e.now.toISOString();
  const eventKey = `event:${e.eventId}`;
  const rows = [
    { key: eventKey, kind: e.kind, received_at: receivedAt, status: e.status ?? "received", payload: e.status === "done" ? null : JSON.stringify(e.payload), error: null },
    ...(e.messageId ? [{ key: `message:${e.messageId}`, kind: e.kind, received_at: receivedAt, status: "done" as const, payload: null, error: null }] : []),
  ];
  // One statement (one commit) for both keys; RETURNING tells which of them were new.
  // Compiled once per number of rows (src/store/compiled-once.ts): every event runs it.
  const values = rows.flatMap((r) => [r.key, r.kind, r.received_at, r.status, r.payload, r.error]);
  const returned = await executeReusable(db, {
    key: `inbox/record/${rows.length}`,
    build: (v: readonly (string | null)[]) =>
      db
        .insertInto("processed_events")
        .values(rows.map((_, k) => ({ key: v[6 * k]!, kind: v[6 * k + 1]!, received_at: v[6 * k + 2]!, status: v[6 * k + 3] as EventStatus, payload: v[6 * k + 4] ?? null, error: v[6 * k + 5] ?? null })))
        .onConflict((oc) => oc.column("key").doNothing())
        .returning("key"),
  }, values);
  const inserted = new Set(returned.map((r) => r.key));
  if (!inserted.has(eventKey)) return false;
  if (e.messageId && !inserted.has(`message:${e.messageId}`)) {
    await markEvent(db, e.eventId, "duplicate");
    return false;
  }
  return true;
}

export async function markEvent(db: Kysely<Database>, eventId: string, status: "done" | "failed" | "duplicate", error?: string) {
  await executeReusable(db, {
    key: "inbox/mark",
    build: ([st, payload, err, key]: readonly [string, null, string | null, string]) =>
      db
        .updateTable("processed_events")
        .set({ status: st as EventStatus, payload, error: err })
        .where("key", "=", key),
  }, [status, null, error?.slice(0, 500) ?? null, `event:${eventId}`] as const);
}

/** Events recorded but not finished (the process died after answering 200). */
export async function unfinishedEvents(db: Kysely<Database>, olderThan: Date) {
  return db
    .selectFrom("processed_events")
    .select(["key", "payload"])
    .where("status", "=", "received")
    .where("received_at", "<=", olderThan.toISOString())
    .orderBy("received_at")
    .limit(500)
    .execute();
}

/**
 * De-duplication rows are only needed while Lark may still deliver the event again: its retries stop after ~7 h
 * and a signed request older than the replay window is refused anyway. Finished rows older than that are removed
 * so the table does not grow for ever; unfinished ('received') rows are kept for the resume sweep.
 */
export async function pruneProcessedEvents(db: Kysely<Database>, olderThan: Date): Promise<number> {
  const r = await db
    .deleteFrom("processed_events")
    .where("status", "in", ["done", "failed", "duplicate"])
    .where("received_at", "<", olderThan.toISOString())
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
