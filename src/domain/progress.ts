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

/** Measures whose views are loaded and counted at a time (see unitProgress). */
export const PROGRESS_CHUNK = 500;

/**
 * Per unit: the indicators of the measures it leads, counted by status, and how many are reported for their
 * current period. Units are ranked by completeness, least complete first, because that is who gets a call.
 *
 * The measures' views are loaded `chunk` at a time and folded into per-unit counters, so the supervisor's view of a
 * whole city holds one chunk of views at once instead of all of them: holding every view made garbage collection
 * grow faster than the store (at 4× the city store, 105 ms of collections against 34 ms at 2×). The result does not
 * depend on the chunk: ties are broken in the order one pass over all views would give.
 */
export async function unitProgress(db: Kysely<Database>, units: Unit[], now: Date, chunk = PROGRESS_CHUNK) {
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
  const linksByUnit = groupBy(mine, (l) => l.unit_id);
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
  const reasons = new Map<number, UnreportableReason>();
  for (const u of units) {
    if (!linksByUnit.has(u.id)) continue;
    const reason: UnreportableReason | null = u.kind === "group"
      ? !membersOf.has(u.id) ? "group_empty" : membersOf.get(u.id)!.some((m) => officials.has(m.unit_id)) ? null : "group_unstaffed"
      : officials.has(u.id) ? null : "no_official";
    if (reason) reasons.set(u.id, reason);
  }

  // One tally per lead link (unit × measure), in the order a single pass over units and their links visits them.
  interface Tally { counts: Record<IndicatorStatus, number>; total: number; reported: number; names: string[]; behind: { name: string; gap: number; text: string }[] }
  const tallies = new Map<(typeof mine)[number], Tally>();
  const linksByTask = groupBy(mine, (l) => l.task_id);
  const taskIds = [...linksByTask.keys()];
  for (let k = 0; k < taskIds.length; k += chunk) {
    for (const view of await loadTaskViews(db, taskIds.slice(k, k + chunk), now)) {
      for (const link of linksByTask.get(view.id) ?? []) {
        const t: Tally = { counts: zero(), total: 0, reported: 0, names: [], behind: [] };
        const named = reasons.has(link.unit_id);
        for (const i of view.indicators) {
          if (named) t.names.push(i.name);
          t.total++;
          t.counts[i.status.status]++;
          if (i.reportedThisPeriod) t.reported++;
          if ((i.status.status === "behind" || i.status.status === "overdue") && i.latest) {
            t.behind.push({ name: i.name, gap: Math.abs(i.target - i.latest.value) / Math.max(1, Math.abs(i.target)), text: statusReason(i, i.latest.value) });
          }
        }
        tallies.set(link, t);
      }
    }
  }

  const unreportable: UnreportableUnit[] = [];
  const rows: UnitProgressRow[] = [];
  const behind: { name: string; unitName: string; text: string; gap: number; order: number }[] = [];
  for (const u of units) {
    const unitLinks = linksByUnit.get(u.id) ?? [];
    const unitTallies = unitLinks.map((l) => tallies.get(l)).filter((t): t is Tally => t !== undefined);
    const reason = reasons.get(u.id);
    if (reason) {
      unreportable.push({ unitId: u.id, unitName: u.name, jurisdiction: u.jurisdiction, reason, measures: unitLinks.length, indicators: unitTallies.flatMap((t) => t.names) });
    }
    // A group nobody reports for has no progress to rank; a unit without an official still does (it can be pushed
    // once someone binds, and its deadlines still run).
    if (reason && reason !== "no_official") continue;
    const counts = zero();
    let total = 0;
    let reported = 0;
    for (const t of unitTallies) {
      for (const s of Object.keys(counts) as IndicatorStatus[]) counts[s] += t.counts[s];
      total += t.total;
      reported += t.reported;
      for (const b of t.behind) behind.push({ name: b.name, unitName: u.name, gap: b.gap, text: b.text, order: behind.length });
    }
    if (total > 0) rows.push({ unitId: u.id, unitName: u.name, jurisdiction: u.jurisdiction, counts, indicators: total, completeness: reported / total });
  }
  rows.sort((a, b) => a.completeness - b.completeness || b.indicators - a.indicators);
  behind.sort((a, b) => b.gap - a.gap || a.order - b.order);
  return { rows, behind: behind.map(({ order: _order, ...b }) => b), unreportable };
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
