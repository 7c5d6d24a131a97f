import type { Kysely } from "kysely";
import type { UnitProgressRow } from "../../cards/progress.js";
import type { Database, Unit } from "../store/schema.js";
import { statusReason } from "../../cards/format.js";
import type { IndicatorStatus } from "./status.js";
import { chunked, groupBy, loadTaskViews, type TaskView } from "./tasks.js";

export type UnreportableReason = "group_empty" | "group_unstaffed" | "no_official";

/** A unit (or group) leading measures that nobody can report for: 无人可填报. */
export interface UnreportableUnit {
  unitId: number;
  unitName: string;
  jurisdiction: string;
  reason: UnreportableReason;
  /** Measures it leads. */
  measures: number;
  /** Names of the indicators of those measures. */
  indicators: string[];
}

const zero = (): Record<IndicatorStatus, number> => ({ achieved: 0, on_track: 0, behind: 0, not_reported: 0, overdue: 0 });

/**
 * Per unit: the indicators of the measures it leads, counted by status, and how many are reported for their
 * current period. Units are ranked by completeness, least complete first, because that is who gets a call.
 */
export async function unitProgress(db: Kysely<Database>, units: Unit[], now: Date) {
  const links = units.length
    ? await db
        .selectFrom("task_units")
        .innerJoin("tasks", "tasks.id", "task_units.task_id")
        .select(["task_units.task_id", "task_units.unit_id"])
        .where("task_units.role", "=", "lead")
        .where("tasks.retired_at", "is", null)
        .execute()
    : [];
  const wanted = new Set(units.map((u) => u.id));
  const mine = links.filter((l) => wanted.has(l.unit_id));
  const views = await loadTaskViews(db, [...new Set(mine.map((l) => l.task_id))], now);
  const byId = new Map(views.map((v) => [v.id, v]));
  const linksByUnit = groupBy(mine, (l) => l.unit_id);
  const rows: UnitProgressRow[] = [];
  const behind: { name: string; unitName: string; text: string; gap: number }[] = [];
  // Who can report: a unit with an official (a member row, or a Lark department an admin mapped to it); a group
  // (各街道) through its member offices, so only once the roster names members and one of them has an official.
  const unitIds = units.map((u) => u.id);
  const groupIds = units.filter((u) => u.kind === "group").map((u) => u.id);
  // Chunked: D1 binds at most 100 parameters, and the supervisor's view passes every unit.
  const groupMembers = await chunked(groupIds, (ids) => db.selectFrom("unit_group_members").select(["group_id", "unit_id"]).where("group_id", "in", ids).execute());
  const candidates = [...new Set([...unitIds, ...groupMembers.map((m) => m.unit_id)])];
  const officials = new Set([
    ...(await chunked(candidates, (ids) => db.selectFrom("members").select("unit_id").distinct().where("unit_id", "in", ids).execute())).map((r) => r.unit_id),
    ...(await chunked(candidates, (ids) => db.selectFrom("department_units").select("unit_id").distinct().where("unit_id", "in", ids).execute())).map((r) => r.unit_id),
  ]);
  const membersOf = groupBy(groupMembers, (m) => m.group_id);
  const unreportable: UnreportableUnit[] = [];
  for (const u of units) {
    const links = linksByUnit.get(u.id) ?? [];
    if (links.length === 0) continue;
    const reason: UnreportableReason | null = u.kind === "group"
      ? !membersOf.has(u.id) ? "group_empty" : membersOf.get(u.id)!.some((m) => officials.has(m.unit_id)) ? null : "group_unstaffed"
      : officials.has(u.id) ? null : "no_official";
    if (reason) {
      unreportable.push({
        unitId: u.id, unitName: u.name, jurisdiction: u.jurisdiction, reason, measures: links.length,
        indicators: links.flatMap((l) => byId.get(l.task_id)?.indicators ?? []).map((i) => i.name),
      });
    }
  }
  const nobody = new Set(unreportable.filter((x) => x.reason !== "no_official").map((x) => x.unitId));
  for (const u of units) {
    // A group nobody reports for has no progress to rank; a unit without an official still does (it can be pushed
    // once someone binds, and its deadlines still run).
    if (nobody.has(u.id)) continue;
    const counts = zero();
    let total = 0;
    let reported = 0;
    for (const l of linksByUnit.get(u.id) ?? []) {
      for (const i of byId.get(l.task_id)?.indicators ?? []) {
        total++;
        counts[i.status.status]++;
        if (i.reportedThisPeriod) reported++;
        if ((i.status.status === "behind" || i.status.status === "overdue") && i.latest) {
          const gap = Math.abs(i.target - i.latest.value) / Math.max(1, Math.abs(i.target));
          behind.push({ name: i.name, unitName: u.name, gap, text: statusReason(i, i.latest.value) });
        }
      }
    }
    if (total > 0) rows.push({ unitId: u.id, unitName: u.name, jurisdiction: u.jurisdiction, counts, indicators: total, completeness: reported / total });
  }
  rows.sort((a, b) => a.completeness - b.completeness || b.indicators - a.indicators);
  behind.sort((a, b) => b.gap - a.gap);
  return { rows, behind, unreportable };
}

/** Tasks visible to a viewer matching a code or keyword. */
export async function findTasks(db: Kysely<Database>, query: string, taskIds: number[] | null, now: Date): Promise<TaskView[]> {
  const visible = (id: number) => taskIds === null || taskIds.includes(id);
  // A task number means that task: "9" must not also find every text that contains a 9.
  const exact = (await db.selectFrom("tasks").select("id").where("retired_at", "is", null).where("code", "=", query).execute()).map((r) => r.id).filter(visible);
  if (exact.length > 0) return loadTaskViews(db, exact.slice(0, 20), now);
  let q = db.selectFrom("tasks").select("id").where("retired_at", "is", null);
  const like = `%${query.replace(/[%_]/g, "")}%`;
  q = q.where((eb) => eb.or([eb("code", "=", query), eb("title", "like", like), eb("text", "like", like)]));
  const ids = (await q.limit(200).execute()).map((r) => r.id).filter((id) => taskIds === null || taskIds.includes(id));
  return loadTaskViews(db, ids.slice(0, 20), now);
}
