import type { Kysely, Selectable } from "kysely";
import type { Cmp, Database, DueYearSource, IndicatorsTable, ReportPeriodKind, Role, Unit } from "../store/schema.js";
import { executeReusable } from "../store/compiled-once.js";
import { latestValuesByRole, type CurrentPeriods, type IndicatorValues, type LatestValue } from "../store/latest-values.js";
import { groupsContaining } from "../store/units.js";
import { currentPeriod } from "./period.js";
import { indicatorStatus, type StatusResult } from "./status.js";

export type { LatestValue };

/** What an indicator is and asks for, without any reported value. */
export type IndicatorFacts = Omit<IndicatorView, "latest" | "previous" | "supporting" | "reportedThisPeriod" | "status">;

export interface IndicatorView {
  id: number;
  taskId: number;
  name: string;
  unitOfMeasure: string | null;
  cmp: Cmp;
  target: number;
  targetYear: number | null;
  /** The year status is judged against: targetYear when stated, else an estimate (dueYearSource says from what). */
  dueYear: number | null;
  dueYearSource: DueYearSource | null;
  baseline: number | null;
  baselineYear: number | null;
  quote: string;
  periodKind: ReportPeriodKind;
  currentPeriod: string;
  /** Year the plan was issued (from its date, else its title): no report may be for a period before it. */
  planYear: number | null;
  /** The lead unit's latest value (by period, then by time): the one status is judged on. */
  latest: LatestValue | null;
  /** The lead's value for the period before the latest one, for a trend arrow. */
  previous: number | null;
  /** Supporting units' latest values, shown separately: they never become the lead's 最新. */
  supporting: LatestValue[];
  /** The lead reported for the current period. */
  reportedThisPeriod: boolean;
  status: StatusResult;
}

export interface TaskView {
  id: number;
  planTitle: string;
  jurisdiction: string;
  code: string;
  title: string | null;
  text: string;
  deadline: string | null;
  deadlineText: string | null;
  role: Role;
  /** Set when the unit is responsible through a group such as 各街道. */
  viaGroup: string | null;
  units: { name: string; role: Role }[];
  indicators: IndicatorView[];
}

/** Unit ids through which a unit is responsible: itself and the groups it belongs to. */
export async function responsibleIds(db: Kysely<Database>, unitId: number): Promise<number[]> {
  return [unitId, ...(await groupsContaining(db, unitId)).map((g) => g.id)];
}

/**
 * The measures a unit leads or supports, with indicators, latest values and status.
 *
 * Its measures, their units and their indicators are each read by the unit's own ids (a subquery on task_units), not
 * by the measures' ids read first: one statement fewer for the busiest command, and each statement's SQL depends only
 * on how many groups the unit is in, so it is compiled once (src/store/compiled-once.ts).
 */
export async function unitTasks(db: Kysely<Database>, unit: Unit, now: Date): Promise<TaskView[]> {
  const ids = await responsibleIds(db, unit.id);
  const n = ids.length;
  const linked = (v: readonly number[]) =>
    db.selectFrom("task_units as l").innerJoin("tasks as t", "t.id", "l.task_id").select("l.task_id").where("l.unit_id", "in", v).where("t.retired_at", "is", null);
  const units = await executeReusable(db, { key: `unit-tasks/units/${n}`, build: (v) => unitsQuery(db).where("task_units.task_id", "in", linked(v)) }, ids);
  const roleByTask = new Map<number, { role: Role; viaGroup: string | null }>();
  const responsible = new Set(ids);
  const links = units.filter((u) => responsible.has(u.unit_id)).sort((a, b) => a.unit_id - b.unit_id || a.task_id - b.task_id);
  for (const l of links) {
    const viaGroup = l.unit_id === unit.id ? null : l.name;
    const prev = roleByTask.get(l.task_id);
    // A direct lead beats a lead through a group, which beats support.
    if (!prev || (prev.role === "support" && l.role === "lead") || (prev.viaGroup && !viaGroup && prev.role === l.role)) {
      roleByTask.set(l.task_id, { role: l.role, viaGroup });
    }
  }
  if (roleByTask.size === 0) return [];
  const tasks = await executeReusable(db, { key: `unit-tasks/tasks/${n}`, build: (v) => tasksQuery(db).where("tasks.id", "in", linked(v)) }, ids);
  const indicators = await executeReusable(db, { key: `unit-tasks/indicators/${n}`, build: (v) => indicatorsQuery(db).where("task_id", "in", linked(v)) }, ids);
  return assembleTaskViews(db, { tasks, units, indicators }, now, (id) => roleByTask.get(id)!);
}

/** Task views for any set of task ids (used by progress and search as well). */
export async function loadTaskViews(
  db: Kysely<Database>,
  taskIds: number[],
  now: Date,
  roleOf: (taskId: number) => { role: Role; viaGroup: string | null } = () => ({ role: "lead", viaGroup: null }),
): Promise<TaskView[]> {
  if (taskIds.length === 0) return [];
  const tasks = await chunked(taskIds, (ids) => executeReusable(db, { key: `task-views/tasks/${ids.length}`, build: (v) => tasksQuery(db).where("tasks.id", "in", v) }, ids));
  const units = await chunked(taskIds, (ids) => executeReusable(db, { key: `task-views/units/${ids.length}`, build: (v) => unitsQuery(db).where("task_units.task_id", "in", v) }, ids));
  const indicators = await chunked(taskIds, (ids) => executeReusable(db, { key: `task-views/indicators/${ids.length}`, build: (v) => indicatorsQuery(db).where("task_id", "in", v) }, ids));
  return assembleTaskViews(db, { tasks, units, indicators }, now, roleOf);
}

const tasksQuery = (db: Kysely<Database>) =>
  db
    .selectFrom("tasks")
    .innerJoin("plans", "plans.id", "tasks.plan_id")
    .select([
      "tasks.id", "tasks.code", "tasks.title", "tasks.text", "tasks.deadline", "tasks.deadline_text", "tasks.ordinal",
      "tasks.plan_id", "plans.title as planTitle", "plans.jurisdiction", "plans.issued_on as planIssuedOn",
    ]);

/** Every unit of the measures, in their printed order. */
const unitsQuery = (db: Kysely<Database>) =>
  db
    .selectFrom("task_units")
    .innerJoin("units", "units.id", "task_units.unit_id")
    .select(["task_units.task_id", "task_units.role", "task_units.ordinal", "task_units.unit_id", "units.name"])
    .orderBy("task_units.ordinal");

/**
 * The columns a view shows, unordered: a measure's few indicators are put in order here (sorting every row of the
 * statement by ordinal in SQLite cost more than reading them).
 */
const indicatorsQuery = (db: Kysely<Database>) =>
  db
    .selectFrom("indicators")
    .select([
      "id", "task_id", "ordinal", "name", "unit_of_measure", "cmp", "target", "target_year", "due_year", "due_year_source",
      "baseline", "baseline_year", "quote", "period",
    ])
    .where("retired_at", "is", null);

type TaskRow = Awaited<ReturnType<ReturnType<typeof tasksQuery>["execute"]>>[number];
type UnitRow = Awaited<ReturnType<ReturnType<typeof unitsQuery>["execute"]>>[number];
type IndicatorRow = Awaited<ReturnType<ReturnType<typeof indicatorsQuery>["execute"]>>[number];

async function assembleTaskViews(
  db: Kysely<Database>,
  { tasks, units, indicators }: { tasks: TaskRow[]; units: UnitRow[]; indicators: IndicatorRow[] },
  now: Date,
  roleOf: (taskId: number) => { role: Role; viaGroup: string | null },
): Promise<TaskView[]> {
  indicators.sort((a, b) => a.ordinal - b.ordinal || a.id - b.id);
  const current = currentPeriods(now);
  const latest = await latestValuesByRole(db, indicators.map((i) => i.id), current);
  tasks.sort((a, b) => a.plan_id - b.plan_id || a.ordinal - b.ordinal);
  // Grouped once: filtering the whole list per task made the digest quadratic in the store's size.
  const unitsByTask = groupBy(units, (u) => u.task_id);
  const indicatorsByTask = groupBy(indicators, (i) => i.task_id);
  return tasks.map((t) => {
    const planYear = planYearOf(t.planIssuedOn, t.planTitle);
    return {
    id: t.id,
    planTitle: t.planTitle,
    jurisdiction: t.jurisdiction,
    code: t.code,
    title: t.title,
    text: t.text,
    deadline: t.deadline,
    deadlineText: t.deadline_text,
    ...roleOf(t.id),
    units: (unitsByTask.get(t.id) ?? []).map((u) => ({ name: u.name, role: u.role })),
    indicators: (indicatorsByTask.get(t.id) ?? [])
      .map((i) => withValues(indicatorFacts(i, planYear, current), latest.get(i.id), now)),
    };
  });
}

/** The indicator columns a view is made of (key, ordinal and retired_at are not shown). */
export type IndicatorFactsRow = Omit<Selectable<IndicatorsTable>, "key" | "ordinal" | "retired_at">;

/** An indicator's row as the cards name it; `current` holds the current period of each kind. */
export function indicatorFacts(i: IndicatorFactsRow, planYear: number | null, current: CurrentPeriods): IndicatorFacts {
  return {
    id: i.id,
    taskId: i.task_id,
    name: i.name,
    unitOfMeasure: i.unit_of_measure,
    cmp: i.cmp,
    target: i.target,
    targetYear: i.target_year,
    dueYear: i.due_year ?? i.target_year,
    dueYearSource: i.due_year_source ?? (i.target_year !== null ? "text" : null),
    baseline: i.baseline,
    baselineYear: i.baseline_year,
    quote: i.quote,
    periodKind: i.period,
    currentPeriod: current[i.period],
    planYear,
  };
}

/** The indicator with its values (latestValuesByRole's) and the status judged on the lead's latest. */
export function withValues(f: IndicatorFacts, values: IndicatorValues | undefined, now: Date): IndicatorView {
  const last = values?.latest ?? null;
  // Written out, not `...f`: spreading the facts here took V8's slow object-cloning path (this function was 9% of the
  // CPU of a unit's task list and garbage collection rose from 4% to 14%: store work per /我的任务 1.0 -> 1.8 ms).
  return {
    id: f.id,
    taskId: f.taskId,
    name: f.name,
    unitOfMeasure: f.unitOfMeasure,
    cmp: f.cmp,
    target: f.target,
    targetYear: f.targetYear,
    dueYear: f.dueYear,
    dueYearSource: f.dueYearSource,
    baseline: f.baseline,
    baselineYear: f.baselineYear,
    quote: f.quote,
    periodKind: f.periodKind,
    currentPeriod: f.currentPeriod,
    planYear: f.planYear,
    latest: last,
    previous: values?.previous?.value ?? null,
    supporting: values?.supporting ?? [],
    reportedThisPeriod: values?.reportedCurrent ?? false,
    status: indicatorStatus(statusInput(f), last?.value ?? null, now),
  };
}

/** The fields status is judged on, by the year the target is due. */
export const statusInput = (i: IndicatorFacts) => ({ cmp: i.cmp, target: i.target, target_year: i.dueYear, baseline: i.baseline, baseline_year: i.baselineYear });

/** The current period of each kind at `now`. */
export const currentPeriods = (now: Date): CurrentPeriods => ({ year: currentPeriod("year", now), quarter: currentPeriod("quarter", now), month: currentPeriod("month", now) });

/** "2024-06-28" → 2024; without a date, a year printed in the title ("…2022年重点工作任务"). */
export function planYearOf(issuedOn: string | null, title: string): number | null {
  const m = /^(\d{4})/.exec(issuedOn ?? "") ?? /((?:19|20)\d{2})年/.exec(title);
  return m ? Number(m[1]) : null;
}

/** Items grouped by a key, in their original order. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** D1 allows 100 bound parameters per statement; keep `in (…)` lists well under it. */
export async function chunked<T, R>(items: T[], run: (chunk: T[]) => Promise<R[]>, size = 90): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await run(items.slice(i, i + size))));
  return out;
}
