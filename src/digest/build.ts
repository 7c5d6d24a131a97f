import type { Kysely } from "kysely";
import type { UnitProgressRow } from "../../cards/progress.js";
import { isoWeek, localDate } from "../domain/period.js";
import { unitProgress, type UnreportableUnit } from "../domain/progress.js";
import { unitTasks, type IndicatorView, type TaskView } from "../domain/tasks.js";
import type { Database, Unit } from "../store/schema.js";
import { DEFAULT_LOOP_SETTINGS } from "../supervision/cuiban.js";
import { escalatedItems, type EscalatedItem } from "../supervision/escalation.js";

export interface UnitDigest {
  unit: Unit;
  week: string;
  led: number;
  supported: number;
  indicators: IndicatorView[];
  reportedThisWeek: IndicatorView[];
  missing: IndicatorView[];
  behind: IndicatorView[];
  dueSoon: TaskView[];
  overdue: { tasks: TaskView[]; indicators: IndicatorView[] };
}

const isoDay = (d: { year: number; month: number; day: number }) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

/**
 * A unit's week, computed from the store as of `now` (the clock is an input so a digest can be rebuilt for any
 * date): what it leads and supports, what was reported in the last 7 days, what is missing for the current period,
 * deadlines in the next 30 days, and what is overdue.
 */
export async function buildUnitDigest(db: Kysely<Database>, unit: Unit, now: Date): Promise<UnitDigest> {
  const tasks = await unitTasks(db, unit, now);
  const today = isoDay(localDate(now));
  const in30 = isoDay(localDate(new Date(now.getTime() + 30 * 86_400_000)));
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000).toISOString();
  const indicators = tasks.filter((t) => t.role === "lead").flatMap((t) => t.indicators);
  return {
    unit,
    week: isoWeek(now),
    led: tasks.filter((t) => t.role === "lead").length,
    supported: tasks.filter((t) => t.role === "support").length,
    indicators,
    reportedThisWeek: indicators.filter((i) => i.latest && i.latest.reportedAt >= weekAgo && i.latest.reportedAt <= now.toISOString()),
    missing: indicators.filter((i) => !i.reportedThisPeriod),
    behind: indicators.filter((i) => i.status.status === "behind"),
    dueSoon: tasks.filter((t) => t.deadline && t.deadline >= today && t.deadline <= in30),
    overdue: {
      tasks: tasks.filter((t) => t.deadline && t.deadline < today),
      indicators: indicators.filter((i) => i.status.status === "overdue"),
    },
  };
}

export interface SupervisorDigest {
  week: string;
  rows: UnitProgressRow[];
  behind: { name: string; unitName: string; text: string }[];
  /** 多次催办未落实: items pushed `escalateAfter` times or more without a report since. */
  escalated: EscalatedItem[];
  /** 无人可填报: units and groups leading measures nobody can report for yet. */
  unreportable: UnreportableUnit[];
}

export async function buildSupervisorDigest(db: Kysely<Database>, now: Date, o: { escalateAfter?: number } = {}): Promise<SupervisorDigest> {
  // Groups too, so the ones nobody can report for are listed; the league table itself ranks offices only.
  const units = await db.selectFrom("units").selectAll().execute();
  const { rows: all, behind, unreportable } = await unitProgress(db, units, now);
  const offices = new Set(units.filter((u) => u.kind === "unit").map((u) => u.id));
  const rows = all.filter((r) => r.unitId !== undefined && offices.has(r.unitId));
  // Ranked by completeness, best first: the table reads as a league table.
  const escalated = await escalatedItems(db, o.escalateAfter ?? DEFAULT_LOOP_SETTINGS.escalateAfter);
  return { week: isoWeek(now), rows: [...rows].sort((a, b) => b.completeness - a.completeness), behind, escalated, unreportable };
}
