import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";

/**
 * Durable de-duplication: Lark delivers at least once, retries for ~7 hours and sometimes resends after a 200.
 * One row per event_id, plus one per message_id for messages (the receive doc says to de-duplicate on it).
 * The row keeps the payload until it is processed, so a restart can finish what a crash interrupted.
 */
export async function recordEvent(
  db: Kysely<Database>,
  e: { eventId: string; messageId?: string | null; kind: string; payload: unknown; now: Date },
): Promise<boolean> {
  const receivedAt = e.now.toISOString();
  const first = await db
    .insertInto("processed_events")
    .values({ key: `event:${e.eventId}`, kind: e.kind, received_at: receivedAt, status: "received", payload: JSON.stringify(e.payload), error: null })
    .onConflict((oc) => oc.column("key").doNothing())
    .executeTakeFirst();
  if (Number(first.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
  if (e.messageId) {
    const msg = await db
      .insertInto("processed_events")
      .values({ key: `message:${e.messageId}`, kind: e.kind, received_at: receivedAt, status: "done", payload: null, error: null })
      .onConflict((oc) => oc.column("key").doNothing())
      .executeTakeFirst();
    if (Number(msg.numInsertedOrUpdatedRows ?? 0n) === 0) {
      await markEvent(db, e.eventId, "duplicate");
      return false;
    }
  }
  return true;
}

export async function markEvent(db: Kysely<Database>, eventId: string, status: "done" | "failed" | "duplicate", error?: string) {
  await db
    .updateTable("processed_events")
    .set({ status, payload: null, error: error?.slice(0, 500) ?? null })
    .where("key", "=", `event:${eventId}`)
    .execute();
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
