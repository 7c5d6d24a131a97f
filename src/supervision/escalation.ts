import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { groupBy } from "../domain/tasks.js";
import { parseItems } from "./ledger.js";

/** An item pushed K times or more (催办) without a report since the first push: 多次催办未落实. */
export interface EscalatedItem {
  unitId: number;
  unitName: string;
  jurisdiction: string;
  indicatorId: number;
  name: string;
  /** ISO instants of the 催办 that named the item, oldest first. */
  dates: string[];
}

const ITEM = /^indicator:(\d+)@(.+)$/;

/**
 * Items named by at least `after` 催办 of a unit with no report of that indicator (for that period, or at all for
 * an overdue item) since the first of them. Read from the append-only record and the reports, so it cannot drift
 * from what /记录 shows.
 */
export async function escalatedItems(db: Kysely<Database>, after: number): Promise<EscalatedItem[]> {
  if (!Number.isFinite(after) || after < 1) return [];
  const events = await db
    .selectFrom("supervision_events")
    .innerJoin("units", "units.id", "supervision_events.unit_id")
    .select(["supervision_events.unit_id", "supervision_events.items", "supervision_events.created_at", "units.name", "units.jurisdiction"])
    .where("supervision_events.kind", "=", "cuiban")
    .orderBy("supervision_events.id")
    .execute();
  const byItem = new Map<string, { unitId: number; unitName: string; jurisdiction: string; indicatorId: number; period: string; dates: string[] }>();
  for (const e of events) {
    for (const key of parseItems(e)) {
      const m = ITEM.exec(key);
      if (!m || e.unit_id === null) continue;
      const k = `${e.unit_id}|${key}`;
      const entry = byItem.get(k) ?? { unitId: e.unit_id, unitName: e.name, jurisdiction: e.jurisdiction, indicatorId: Number(m[1]), period: m[2]!, dates: [] };
      entry.dates.push(e.created_at);
      byItem.set(k, entry);
    }
  }
  const candidates = [...byItem.values()].filter((c) => c.dates.length >= after);
  if (candidates.length === 0) return [];
  const ids = [...new Set(candidates.map((c) => c.indicatorId))];
  const reports = await db.selectFrom("reports").select(["indicator_id", "unit_id", "period", "reported_at"]).where("indicator_id", "in", ids).execute();
  const names = new Map((await db.selectFrom("indicators").select(["id", "name"]).where("id", "in", ids).execute()).map((i) => [i.id, i.name]));
  // Grouped once by indicator and unit: searching all the reports for every candidate grew as their product.
  const reportsOf = groupBy(reports, (r) => `${r.indicator_id}|${r.unit_id}`);
  return candidates
    .filter((c) => !(reportsOf.get(`${c.indicatorId}|${c.unitId}`) ?? []).some((r) => r.reported_at >= c.dates[0]! && (c.period === "overdue" || r.period === c.period)))
    .map((c) => ({ unitId: c.unitId, unitName: c.unitName, jurisdiction: c.jurisdiction, indicatorId: c.indicatorId, name: names.get(c.indicatorId) ?? `指标 ${c.indicatorId}`, dates: c.dates }))
    .sort((a, b) => b.dates.length - a.dates.length || a.unitName.localeCompare(b.unitName, "zh"));
}
