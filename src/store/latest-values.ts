import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/** One unit's newest value for an indicator. */
export interface LatestValue {
  value: number;
  period: string;
  reportedAt: string;
  unitName: string;
}

export interface IndicatorValues {
  /** The lead unit's values, newest period first, one per period (a correction supersedes, the row stays). */
  lead: LatestValue[];
  /** Each supporting unit's newest value: shown beside the lead's, never taken for it. */
  supporting: LatestValue[];
  supportingUnitIds: number[];
}

/**
 * Values per indicator, split by who reported them. A report counts as the lead's when its unit leads the
 * indicator's measure directly or through a group it belongs to (各街道 → a street office). "Latest" is by period,
 * then by row within a period, so a report for an old period never hides a newer one. One statement per chunk:
 * the role is decided in SQL, the newest row per (indicator, unit, period) by its largest id.
 */
export async function latestValuesByRole(db: Kysely<Database>, indicatorIds: number[]): Promise<Map<number, IndicatorValues>> {
  const out = new Map<number, IndicatorValues>();
  if (indicatorIds.length === 0) return out;
  const rows: { indicator_id: number; unit_id: number; name: string; value: number; period: string; reported_at: string; is_lead: number }[] = [];
  for (let k = 0; k < indicatorIds.length; k += 90) {
    const ids = indicatorIds.slice(k, k + 90);
    // The newest row per (indicator, unit, period) is the largest id: a GROUP BY that walks the covering index
    // reports_latest in order (no sort, no window over the whole history), then one primary-key look-up per result.
    const chunk = await db
      .selectFrom((qb) =>
        qb
          .selectFrom("reports")
          .select((eb) => eb.fn.max("id").as("id"))
          .where("indicator_id", "in", ids)
          .groupBy(["indicator_id", "unit_id", "period"])
          .as("newest"),
      )
      .innerJoin("reports as r", "r.id", "newest.id")
      .innerJoin("indicators as i", "i.id", "r.indicator_id")
      .innerJoin("units as u", "u.id", "r.unit_id")
      .select([
        "r.indicator_id", "r.unit_id", "u.name", "r.value", "r.period", "r.reported_at",
        sql<number>`case when exists (
          select 1 from task_units tu
          where tu.task_id = i.task_id and tu.role = 'lead'
            and (tu.unit_id = r.unit_id
                 or tu.unit_id in (select m.group_id from unit_group_members m where m.unit_id = r.unit_id))
        ) then 1 else 0 end`.as("is_lead"),
      ])
      .orderBy("r.indicator_id")
      .orderBy("r.period", "desc")
      .orderBy("r.reported_at", "desc")
      .execute();
    rows.push(...chunk);
  }
  for (const r of rows) {
    const entry = out.get(r.indicator_id) ?? { lead: [], supporting: [], supportingUnitIds: [] };
    const v = { value: r.value, period: r.period, reportedAt: r.reported_at, unitName: r.name };
    if (r.is_lead) {
      // Several lead units (a group's members) may report one period: the newest row of that period stands.
      if (!entry.lead.some((l) => l.period === r.period)) entry.lead.push(v);
    } else if (!entry.supportingUnitIds.includes(r.unit_id)) {
      entry.supportingUnitIds.push(r.unit_id);
      entry.supporting.push(v);
    }
    out.set(r.indicator_id, entry);
  }
  return out;
}
