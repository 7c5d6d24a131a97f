/**
 * @module What the 台账 (ledger) workbook holds, read from the store: plans, measures, indicators (active and
 * retired) and the full history of reported values, for everything, one plan, or one unit's measures.
 * Pure reads over Kysely, so the same code serves SQLite, D1 and the CLI.
 */
import type { Kysely } from "kysely";
import { chunked, responsibleIds } from "../domain/tasks.js";
import { latestValuesByRole } from "../store/latest-values.js";
import { indicatorStatus, type IndicatorStatus } from "../domain/status.js";
import type { Cmp, Database, ReportPeriodKind, Unit } from "../store/schema.js";

export interface LedgerScope {
  /** Only this plan. */
  planId?: number;
  /** Only the measures this unit leads or supports (directly or through a group such as 各街道). */
  unit?: Unit;
}

export interface LedgerPlan {
  id: number;
  title: string;
  issuer: string | null;
  issuedOn: string | null;
  jurisdiction: string;
  sourceFile: string;
  importedAt: string;
  measures: number;
  indicators: number;
}

export interface LedgerMeasure {
  id: number;
  planId: number;
  planTitle: string;
  section: string | null;
  code: string;
  title: string | null;
  text: string;
  lead: string[];
  support: string[];
  deadline: string | null;
  deadlineText: string | null;
  /** The worst status among its active indicators; null when it has none. */
  status: IndicatorStatus | null;
}

export interface LedgerIndicator {
  id: number;
  planId: number;
  measureCode: string;
  name: string;
  unitOfMeasure: string | null;
  cmp: Cmp;
  target: number;
  targetYear: number | null;
  baseline: number | null;
  baselineYear: number | null;
  frequency: ReportPeriodKind;
  latestValue: number | null;
  latestPeriod: string | null;
  status: IndicatorStatus;
  /** The measure's lead units: who reports it. */
  reportingUnits: string[];
  quote: string;
  /** Set on retired indicators (removed by a revised plan, or their measure was). */
  retiredAt: string | null;
  reports: number;
}

export interface LedgerReport {
  id: number;
  indicatorId: number;
  indicatorName: string;
  measureCode: string;
  unit: string;
  period: string;
  value: number;
  reporter: string;
  reportedAt: string;
  note: string | null;
  /** The earlier report of the same indicator, unit and period that this one corrects. */
  correctionOf: number | null;
}

/** One entry of the 督办 record (提醒、催办、加急、通报), with how its sends ended. */
export interface LedgerSupervision {
  id: number;
  kind: string;
  at: string;
  unit: string | null;
  actor: string | null;
  recipients: string[];
  items: number;
  summary: string;
  sent: number;
  failed: number;
  /** First delivery error, when a send failed. */
  error: string | null;
}

export interface Ledger {
  scopeLabel: string;
  generatedAt: Date;
  plans: LedgerPlan[];
  measures: LedgerMeasure[];
  indicators: LedgerIndicator[];
  retired: LedgerIndicator[];
  reports: LedgerReport[];
  supervision: LedgerSupervision[];
}

/** Rows the workbook would hold (measures + indicators + reports + record), for the chat cap, without building anything. */
export const ledgerRows = (l: Ledger) => l.measures.length + l.indicators.length + l.retired.length + l.reports.length + l.supervision.length;

/**
 * The 督办 record in scope: a unit's own entries, a plan's units' entries, or everything. Read only: the record is
 * append-only, and the workbook is a copy of it.
 */
async function loadSupervision(db: Kysely<Database>, unitIds: number[] | null): Promise<LedgerSupervision[]> {
  let q = db
    .selectFrom("supervision_events")
    .leftJoin("units", "units.id", "supervision_events.unit_id")
    .selectAll("supervision_events")
    .select(["units.name as unitName", "units.jurisdiction"]);
  if (unitIds) {
    if (unitIds.length === 0) return [];
    q = q.where("supervision_events.unit_id", "in", unitIds);
  }
  const events = (await q.execute()).sort((a, b) => a.id - b.id);
  const deliveries = await chunked(events.map((e) => e.id), (ids) => db.selectFrom("supervision_deliveries").selectAll().where("event_id", "in", ids).execute());
  const byEvent = new Map<number, typeof deliveries>();
  for (const d of deliveries) byEvent.set(d.event_id, [...(byEvent.get(d.event_id) ?? []), d]);
  return events.map((e) => {
    const ds = byEvent.get(e.id) ?? [];
    let summary = "";
    let items = 0;
    try {
      summary = String((JSON.parse(e.detail ?? "{}") as { summary?: unknown }).summary ?? "");
      items = (JSON.parse(e.items) as unknown[]).length;
    } catch {
      // A malformed detail is shown empty rather than failing the whole export.
    }
    return {
      id: e.id,
      kind: e.kind,
      at: e.created_at,
      unit: e.unitName ? `${e.unitName}（${e.jurisdiction}）` : null,
      actor: e.actor_open_id,
      recipients: JSON.parse(e.recipients) as string[],
      items,
      summary,
      sent: ds.filter((d) => d.result === "sent").length,
      failed: ds.filter((d) => d.result === "failed").length,
      error: ds.find((d) => d.result === "failed")?.error ?? null,
    };
  });
}

const SEVERITY: IndicatorStatus[] = ["overdue", "behind", "not_reported", "on_track", "achieved"];

export async function loadLedger(db: Kysely<Database>, scope: LedgerScope, now: Date): Promise<Ledger> {
  let taskQuery = db
    .selectFrom("tasks")
    .innerJoin("plans", "plans.id", "tasks.plan_id")
    .leftJoin("sections", "sections.id", "tasks.section_id")
    .select([
      "tasks.id", "tasks.plan_id", "tasks.code", "tasks.title", "tasks.text", "tasks.deadline", "tasks.deadline_text",
      "tasks.ordinal", "tasks.retired_at", "plans.title as planTitle", "sections.title as section",
    ]);
  if (scope.planId !== undefined) taskQuery = taskQuery.where("tasks.plan_id", "=", scope.planId);
  if (scope.unit) {
    const ids = await responsibleIds(db, scope.unit.id);
    taskQuery = taskQuery.where("tasks.id", "in", db.selectFrom("task_units").select("task_id").where("unit_id", "in", ids));
  }
  const tasks = (await taskQuery.execute()).sort((a, b) => a.plan_id - b.plan_id || a.ordinal - b.ordinal);
  const taskIds = tasks.map((t) => t.id);
  const links = await chunked(taskIds, (ids) =>
    db
      .selectFrom("task_units")
      .innerJoin("units", "units.id", "task_units.unit_id")
      .select(["task_units.task_id", "task_units.role", "task_units.ordinal", "task_units.unit_id", "units.name"])
      .where("task_units.task_id", "in", ids)
      .execute(),
  );
  links.sort((a, b) => a.ordinal - b.ordinal);
  const byTaskRole = new Map<string, string[]>();
  for (const l of links) byTaskRole.set(`${l.task_id}|${l.role}`, [...(byTaskRole.get(`${l.task_id}|${l.role}`) ?? []), l.name]);
  const unitsOf = (taskId: number, role: "lead" | "support") => byTaskRole.get(`${taskId}|${role}`) ?? [];
  const inds = (await chunked(taskIds, (ids) => db.selectFrom("indicators").selectAll().where("task_id", "in", ids).execute())).sort(
    (a, b) => a.task_id - b.task_id || a.ordinal - b.ordinal,
  );
  const indIds = inds.map((i) => i.id);
  // The lead unit's latest, as on the cards: a supporting unit's value is never the indicator's.
  const latest = await latestValuesByRole(db, indIds);
  const reports = (
    await chunked(indIds, (ids) =>
      db
        .selectFrom("reports")
        .innerJoin("units", "units.id", "reports.unit_id")
        .selectAll("reports")
        .select("units.name as unitName")
        .where("reports.indicator_id", "in", ids)
        .execute(),
    )
  ).sort((a, b) => a.id - b.id);

  const taskById = new Map(tasks.map((t) => [t.id, t]));
  const reportCount = new Map<number, number>();
  for (const r of reports) reportCount.set(r.indicator_id, (reportCount.get(r.indicator_id) ?? 0) + 1);
  const indicators: LedgerIndicator[] = inds.map((i) => {
    const t = taskById.get(i.task_id)!;
    const last = latest.get(i.id)?.latest ?? null;
    return {
      id: i.id,
      planId: t.plan_id,
      measureCode: t.code,
      name: i.name,
      unitOfMeasure: i.unit_of_measure,
      cmp: i.cmp,
      target: i.target,
      targetYear: i.target_year,
      baseline: i.baseline,
      baselineYear: i.baseline_year,
      frequency: i.period,
      latestValue: last?.value ?? null,
      latestPeriod: last?.period ?? null,
      status: indicatorStatus({ ...i, target_year: i.due_year ?? i.target_year }, last?.value ?? null, now).status,
      reportingUnits: unitsOf(t.id, "lead"),
      quote: i.quote,
      retiredAt: i.retired_at ?? t.retired_at,
      reports: reportCount.get(i.id) ?? 0,
    };
  });
  const active = indicators.filter((i) => i.retiredAt === null);
  const statusesByTask = new Map<number, IndicatorStatus[]>();
  inds.forEach((row, k) => {
    if (indicators[k]!.retiredAt === null) statusesByTask.set(row.task_id, [...(statusesByTask.get(row.task_id) ?? []), indicators[k]!.status]);
  });

  const measures: LedgerMeasure[] = tasks
    .filter((t) => t.retired_at === null)
    .map((t) => {
      const statuses = statusesByTask.get(t.id) ?? [];
      return {
        id: t.id,
        planId: t.plan_id,
        planTitle: t.planTitle,
        section: t.section,
        code: t.code,
        title: t.title,
        text: t.text,
        lead: unitsOf(t.id, "lead"),
        support: unitsOf(t.id, "support"),
        deadline: t.deadline,
        deadlineText: t.deadline_text,
        status: SEVERITY.find((s) => statuses.includes(s)) ?? null,
      };
    });

  const indById = new Map(indicators.map((i) => [i.id, i]));
  const seen = new Map<string, number>();
  const ledgerReports: LedgerReport[] = reports.map((r) => {
    const key = `${r.indicator_id}|${r.unit_id}|${r.period}`;
    const prior = seen.get(key) ?? null;
    seen.set(key, r.id);
    const ind = indById.get(r.indicator_id)!;
    return {
      id: r.id,
      indicatorId: r.indicator_id,
      indicatorName: ind.name,
      measureCode: ind.measureCode,
      unit: r.unitName,
      period: r.period,
      value: r.value,
      reporter: r.reporter_open_id,
      reportedAt: r.reported_at,
      note: r.note,
      correctionOf: prior,
    };
  });

  const planIds = [...new Set(tasks.map((t) => t.plan_id))];
  let planQuery = db.selectFrom("plans").selectAll();
  if (scope.planId !== undefined) planQuery = planQuery.where("id", "=", scope.planId);
  const plans = (await planQuery.orderBy("id").execute())
    .filter((p) => scope.unit === undefined || planIds.includes(p.id))
    .map((p) => ({
      id: p.id,
      title: p.title,
      issuer: p.issuer,
      issuedOn: p.issued_on,
      jurisdiction: p.jurisdiction,
      sourceFile: p.source_file,
      importedAt: p.imported_at,
      measures: measures.filter((m) => m.planId === p.id).length,
      indicators: active.filter((i) => i.planId === p.id).length,
    }));

  // Whose record belongs in this export: the unit itself, or the units named on the plan's measures.
  const recordUnits = scope.unit ? [scope.unit.id] : scope.planId !== undefined ? [...new Set(links.map((l) => l.unit_id))] : null;
  const supervision = await loadSupervision(db, recordUnits);

  return {
    scopeLabel: scope.unit ? `${scope.unit.name}（${scope.unit.jurisdiction}）牵头和配合的任务` : scope.planId !== undefined ? `方案 ${scope.planId}：${plans[0]?.title ?? "（不存在）"}` : "全部方案",
    generatedAt: now,
    plans,
    measures,
    indicators: active,
    retired: indicators.filter((i) => i.retiredAt !== null),
    reports: ledgerReports,
    supervision,
  };
}
