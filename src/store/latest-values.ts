import { sql, type Compilable, type Kysely, type SelectQueryBuilder } from "kysely";
import { executeReusable } from "./compiled-once.js";
import type { Database, ReportPeriodKind } from "./schema.js";

/**
 * Keeps the newest of the reports a sub-select reads (aliased `r`): the latest period, and within a period the row
 * stored last (a correction supersedes). The one definition of "newest" that every read of a unit's values shares;
 * migrations/0017's triggers order report_heads the same way, in SQL.
 */
export function newestReportOnly<Q extends SelectQueryBuilder<any, any, any>>(q: Q): Q {
  return q.orderBy("r.period", "desc").orderBy("r.id", "desc").limit(sql.lit(1)) as Q;
}

/** One unit's newest value for an indicator. */
export interface LatestValue {
  value: number;
  period: string;
  reportedAt: string;
  unitName: string;
}

export interface IndicatorValues {
  /** The lead's newest value: by period, then the newest row (a correction supersedes within a period). */
  latest: LatestValue | null;
  /** The lead's value for the period before the latest one (its newest row), for a trend arrow. */
  previous: LatestValue | null;
  /** The lead reported for the indicator's current period (false when no current periods were given). */
  reportedCurrent: boolean;
  /** Each supporting unit's newest value, newest first: shown beside the lead's, never taken for it. */
  supporting: LatestValue[];
}

/** The current period of each kind, e.g. { year: "2026", quarter: "2026Q4", month: "2026-12" }. */
export type CurrentPeriods = Record<ReportPeriodKind, string>;

interface PairRow {
  indicator_id: number;
  unit_id: number;
  is_lead: number;
  reported_current: number;
  name: string;
  id: number;
  value: number;
  period: string;
  reported_at: string;
  previous_id: number | null;
  previous_value: number | null;
  previous_period: string | null;
  previous_reported_at: string | null;
}

/** A candidate row for "newest": its id breaks a tie of period and time (the later row wins). */
type Candidate = LatestValue & { id: number };

/**
 * Values per indicator, split by who reported them. A report counts as the lead's when its unit leads the
 * indicator's measure directly or through a group it belongs to (各街道 → a street office). "Latest" is by period,
 * then by row within a period, so a report for an old period never hides a newer one.
 *
 * Only what the cards use is read, one row per (indicator, reporting unit) however long the history: report_heads
 * (migrations/0017, kept by triggers on reports) holds each pair's newest row and its newest row of the period
 * before, so a unit's values are one range read; whether the pair reported for the current period follows from the
 * newest row's period, and reports is looked up only when a later period was reported. (Before, the pairs were found by
 * skipping through the index of reports and each row by two more seeks: about twice the time, and on a read worker,
 * whose page cache SQLite empties whenever the main thread has committed, many more pages read again.) Several lead
 * units (a group's members) merge here: the lead's two newest periods are always among each lead unit's two newest,
 * so the pairs suffice. One statement per 90 ids (D1 binds at most 100 parameters; the three current periods are the
 * rest).
 */
export async function latestValuesByRole(
  db: Kysely<Database>,
  indicatorIds: number[],
  current?: CurrentPeriods,
): Promise<Map<number, IndicatorValues>> {
  const rows: PairRow[] = [];
  for (let k = 0; k < indicatorIds.length; k += 90) rows.push(...(await pairRows(db, indicatorIds.slice(k, k + 90), current)));

  const byIndicator = new Map<number, PairRow[]>();
  for (const r of rows) {
    const list = byIndicator.get(r.indicator_id);
    if (list) list.push(r);
    else byIndicator.set(r.indicator_id, [r]);
  }
  const out = new Map<number, IndicatorValues>();
  for (const [indicatorId, pairs] of byIndicator) {
    let latest: Candidate | null = null;
    let reportedCurrent = false;
    const supporting: Candidate[] = [];
    for (const p of pairs) {
      const own = { id: p.id, value: p.value, period: p.period, reportedAt: p.reported_at, unitName: p.name };
      if (!p.is_lead) {
        supporting.push(own);
        continue;
      }
      if (p.reported_current) reportedCurrent = true;
      if (newer(own, latest)) latest = own;
    }
    let previous: Candidate | null = null;
    if (latest) {
      for (const p of pairs) {
        if (!p.is_lead) continue;
        const own = { id: p.id, value: p.value, period: p.period, reportedAt: p.reported_at, unitName: p.name };
        if (own.period < latest.period && newer(own, previous)) previous = own;
        if (p.previous_id !== null) {
          const before = { id: p.previous_id, value: p.previous_value!, period: p.previous_period!, reportedAt: p.previous_reported_at!, unitName: p.name };
          if (newer(before, previous)) previous = before;
        }
      }
    }
    supporting.sort((a, b) => (newer(a, b) ? -1 : 1));
    out.set(indicatorId, { latest: plain(latest), previous: plain(previous), reportedCurrent, supporting: supporting.map((s) => plain(s)!) });
  }
  return out;
}

/** By period, then by time reported, then the later row. */
function newer(a: Candidate, b: Candidate | null): boolean {
  if (!b) return true;
  if (a.period !== b.period) return a.period > b.period;
  if (a.reportedAt !== b.reportedAt) return a.reportedAt > b.reportedAt;
  return a.id > b.id;
}

function plain(c: Candidate | null): LatestValue | null {
  return c && { value: c.value, period: c.period, reportedAt: c.reportedAt, unitName: c.unitName };
}

/** Compiled once per number of ids (src/store/compiled-once.ts): building this statement cost more than running it. */
function pairRows(db: Kysely<Database>, ids: number[], current: CurrentPeriods | undefined): Promise<PairRow[]> {
  const n = ids.length;
  const values: (number | string)[] = current ? [...ids, current.year, current.quarter, current.month] : [...ids];
  return executeReusable(db, {
    key: `latest-values/${n}/${current ? "current" : "none"}`,
    build: (v) => pairRowsQuery(db, v.slice(0, n) as number[], current && { year: v[n] as string, quarter: v[n + 1] as string, month: v[n + 2] as string }),
  }, values);
}

function pairRowsQuery(db: Kysely<Database>, ids: number[], current: CurrentPeriods | undefined): Compilable<PairRow> {
  return (
    db
      .selectFrom("report_heads as h")
      .innerJoin("indicators as i", "i.id", "h.indicator_id")
      .innerJoin("units as u", "u.id", "h.unit_id")
      // The current period of the indicator's kind, named once per row (its three values bound once).
      .$if(current !== undefined, (qb) =>
        qb.leftJoin(
          sql<{ kind: string; period: string }>`(select 'year' as kind, ${current?.year} as period union all select 'quarter', ${current?.quarter} union all select 'month', ${current?.month})`.as("cur"),
          (join) => join.onRef("cur.kind", "=", "i.period"),
        ),
      )
      .select([
        "h.indicator_id", "h.unit_id", "u.name", "h.latest_id as id", "h.latest_value as value", "h.latest_period as period", "h.latest_reported_at as reported_at",
        "h.previous_id", "h.previous_value", "h.previous_period", "h.previous_reported_at",
        sql<number>`case when exists (
          select 1 from task_units tu
          where tu.task_id = i.task_id and tu.role = 'lead'
            and (tu.unit_id = h.unit_id
                 or tu.unit_id in (select m.group_id from unit_group_members m where m.unit_id = h.unit_id))
        ) then 1 else 0 end`.as("is_lead"),
        current
          // The newest row's period is the largest: equal to the current one, the unit reported for it; smaller, it
          // did not. Only when a later period was reported is the current one looked up.
          ? sql<number>`case
              when h.latest_period = cur.period then 1
              when h.latest_period < cur.period then 0
              when exists (select 1 from reports c where c.indicator_id = h.indicator_id and c.unit_id = h.unit_id and c.period = cur.period) then 1
              else 0
            end`.as("reported_current")
          : sql<number>`0`.as("reported_current"),
      ])
      .where("h.indicator_id", "in", ids)
  );
}
