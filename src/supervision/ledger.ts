import type { Kysely } from "kysely";
import type { Database, SupervisionEvent, SupervisionKind } from "../store/schema.js";

/**
 * The 督办 record (留痕): every reminder, 催办, urgent notification and 通报 is appended here, and the outcome of
 * each of its sends is appended beside it. There is deliberately no update or delete function; the tables'
 * triggers (migrations/0006) refuse both, so a record cannot be rewritten after the fact.
 */
export interface NewSupervisionEvent {
  kind: SupervisionKind;
  actorOpenId: string | null;
  unitId: number | null;
  recipients: string[];
  items: string[];
  detail?: Record<string, unknown>;
  refEventId?: number | null;
  at: Date;
}

/** The canonical "same items" key: item keys sorted and joined. */
export const itemsKey = (items: readonly string[]) => [...new Set(items)].sort().join(",");

export async function appendEvent(db: Kysely<Database>, e: NewSupervisionEvent): Promise<number> {
  const row = await db
    .insertInto("supervision_events")
    .values({
      kind: e.kind,
      actor_open_id: e.actorOpenId,
      unit_id: e.unitId,
      recipients: JSON.stringify(e.recipients),
      items: JSON.stringify(e.items),
      items_key: itemsKey(e.items),
      detail: e.detail ? JSON.stringify(e.detail) : null,
      ref_event_id: e.refEventId ?? null,
      created_at: e.at.toISOString(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface DeliveryRecord {
  eventId: number;
  outboxId: number;
  target: string;
  result: "sent" | "failed";
  messageId: string | null;
  error: string | null;
  at: string;
}

export async function appendDelivery(db: Kysely<Database>, d: DeliveryRecord): Promise<void> {
  await db
    .insertInto("supervision_deliveries")
    .values({ event_id: d.eventId, outbox_id: d.outboxId, target: d.target, result: d.result, message_id: d.messageId, error: d.error, at: d.at })
    .execute();
}

/** A unit's events of one kind, oldest first. */
export async function unitEvents(db: Kysely<Database>, unitId: number, kind?: SupervisionKind): Promise<SupervisionEvent[]> {
  let q = db.selectFrom("supervision_events").selectAll().where("unit_id", "=", unitId);
  if (kind) q = q.where("kind", "=", kind);
  return q.orderBy("created_at").orderBy("id").execute();
}

export const parseItems = (e: Pick<SupervisionEvent, "items">): string[] => {
  try {
    const v = JSON.parse(e.items) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
};

export interface TimelineEntry {
  at: string;
  kind: SupervisionKind;
  actorOpenId: string | null;
  recipients: string[];
  itemCount: number;
  summary: string;
  deliveries: { target: string; result: "sent" | "failed"; error: string | null }[];
}

/**
 * A unit's timeline: its supervision events with their delivery results, and its reports (taken from the reports
 * table, itself append-only, rather than copied), newest first.
 */
export async function unitTimeline(db: Kysely<Database>, unitId: number, limit = 30): Promise<TimelineEntry[]> {
  const events = await db.selectFrom("supervision_events").selectAll().where("unit_id", "=", unitId).orderBy("id", "desc").limit(limit).execute();
  // A unit's 通报 entry points at the 通报 as a whole, which holds the deliveries.
  const ids = [...new Set(events.flatMap((e) => (e.kind === "tongbao" && e.ref_event_id !== null ? [e.id, e.ref_event_id] : [e.id])))];
  const deliveries = ids.length ? await db.selectFrom("supervision_deliveries").selectAll().where("event_id", "in", ids).orderBy("id").execute() : [];
  const reports = await db
    .selectFrom("reports")
    .innerJoin("indicators", "indicators.id", "reports.indicator_id")
    .select(["reports.reported_at", "reports.reporter_open_id", "reports.period", "reports.value", "indicators.name", "indicators.unit_of_measure"])
    .where("reports.unit_id", "=", unitId)
    .orderBy("reports.id", "desc")
    .limit(limit)
    .execute();
  const entries: TimelineEntry[] = events.map((e) => {
    const detail = (e.detail ? JSON.parse(e.detail) : {}) as { summary?: string };
    return {
      at: e.created_at,
      kind: e.kind,
      actorOpenId: e.actor_open_id,
      recipients: JSON.parse(e.recipients) as string[],
      itemCount: parseItems(e).length,
      summary: detail.summary ?? "",
      deliveries: deliveries.filter((d) => d.event_id === e.id || (e.kind === "tongbao" && d.event_id === e.ref_event_id)).map((d) => ({ target: d.target, result: d.result, error: d.error })),
    };
  });
  for (const r of reports) {
    entries.push({
      at: r.reported_at,
      kind: "report",
      actorOpenId: r.reporter_open_id,
      recipients: [],
      itemCount: 1,
      summary: `${r.name} ${r.period}：${r.value}${r.unit_of_measure ?? ""}`,
      deliveries: [],
    });
  }
  return entries.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
}
