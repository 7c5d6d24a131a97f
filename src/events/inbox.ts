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
    /**
     * Record it in one statement with the other events recorded in this turn of the event loop (see recordTogether).
     * Only for `db` itself, never a transaction: the statement runs later, after the caller's code has moved on.
     */
    together?: boolean;
  },
): Promise<boolean> {
  const receivedAt = e.now.toISOString();
  const eventKey = `event:${e.eventId}`;
  const rows: Row[] = [
    { key: eventKey, kind: e.kind, received_at: receivedAt, status: e.status ?? "received", payload: e.status === "done" ? null : JSON.stringify(e.payload) },
    ...(e.messageId ? [{ key: `message:${e.messageId}`, kind: e.kind, received_at: receivedAt, status: "done" as const, payload: null }] : []),
  ];
  const inserted = e.together && typeof setImmediate === "function" ? await recordTogether(db, rows) : await insertRows(db, rows);
  if (!inserted.has(eventKey)) return false;
  if (e.messageId && !inserted.has(`message:${e.messageId}`)) {
    await markEvent(db, e.eventId, "duplicate");
    return false;
  }
  return true;
}

interface Row {
  key: string;
  kind: string;
  received_at: string;
  status: EventStatus;
  payload: string | null;
}

/**
 * One statement (one commit) for all the rows; RETURNING tells which of them were new. A key given twice is new for
 * its first row only (SQLite inserts the rows in order and the second meets the first as a conflict), so each key
 * the statement returns goes to the first row that has it.
 * Compiled once per shape (src/store/compiled-once.ts): every event runs it. Rows without a payload come last, so
 * the shape is how many rows have one and how many not, and a batch of any mix is one of few statements.
 */
async function insertRows(db: Kysely<Database>, rows: readonly Row[]): Promise<Set<string>> {
  const ordered = inStatementOrder(rows, (r) => r);
  const values: (string | null)[] = [];
  for (const r of ordered) values.push(r.key, r.kind, r.received_at, r.status, r.payload);
  const returned = await executeReusable(db, {
    key: `inbox/record/${ordered.length}`,
    build: (v: readonly (string | null)[]) =>
      db
        .insertInto("processed_events")
        .values(ordered.map((_, k) => ({ key: v[5 * k]!, kind: v[5 * k + 1]!, received_at: v[5 * k + 2]!, status: v[5 * k + 3] as EventStatus, payload: v[5 * k + 4] ?? null })))
        .onConflict((oc) => oc.column("key").doNothing())
        .returning("key"),
  }, values);
  return new Set(returned.map((r) => r.key));
}

/** The order insertRows inserts rows in: those with a payload first, each group in the order given. */
function inStatementOrder<T>(items: readonly T[], rowOf: (t: T) => Row): readonly T[] {
  const sorted = items.every((t, i) => i === 0 || rowOf(t).payload === null || rowOf(items[i - 1]!).payload !== null);
  return sorted ? items : [...items.filter((t) => rowOf(t).payload !== null), ...items.filter((t) => rowOf(t).payload === null)];
}

/**
 * Events that arrive together are recorded together. Under load the HTTP server reads every waiting request in one
 * turn of the event loop (ten at a time in the closed-loop benchmark), and each of them used to insert its rows on
 * its own: a statement, a commit writing the same table and index pages to the WAL again, and a turn of SQLite's one
 * connection each. Here the first event of a turn waits for the end of the turn (setImmediate) and the rows of
 * every event recorded meanwhile go in one statement, up to MAX_TOGETHER events. Each caller still returns only once
 * that statement's commit is durable (the group commit), so no ack goes out before its row is on disk; a failed
 * statement fails every event in it, each answered 500 and delivered again by Lark, as a failed insert of its own was.
 */
async function recordTogether(db: Kysely<Database>, rows: Row[]): Promise<Set<string>> {
  let queue = waiting.get(db);
  if (!queue) {
    queue = [];
    waiting.set(db, queue);
  }
  if (queue.length === 0) setImmediate(() => flushTogether(db));
  return new Promise((resolve, reject) => queue.push({ rows, resolve, reject }));
}

const MAX_TOGETHER = 16;
interface Waiting {
  rows: Row[];
  resolve: (inserted: Set<string>) => void;
  reject: (err: unknown) => void;
}
const waiting = new WeakMap<Kysely<Database>, Waiting[]>();

function flushTogether(db: Kysely<Database>): void {
  const queue = waiting.get(db)!;
  while (queue.length > 0) {
    const batch = queue.splice(0, MAX_TOGETHER);
    const tagged = inStatementOrder(batch.flatMap((w) => w.rows.map((row) => ({ row, w }))), (t) => t.row);
    insertRows(db, tagged.map((t) => t.row)).then(
      (inserted) => {
        // Whose new key is it: the first row with it, in the order the statement inserted them.
        const mine = new Map<Waiting, Set<string>>(batch.map((w) => [w, new Set<string>()]));
        for (const { row, w } of tagged) {
          if (!inserted.delete(row.key)) continue;
          mine.get(w)!.add(row.key);
        }
        for (const w of batch) w.resolve(mine.get(w)!);
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
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
