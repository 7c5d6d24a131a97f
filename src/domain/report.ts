import { z } from "zod";
import type { Services } from "../events/types.js";
import type { Unit } from "../store/schema.js";
import type { Actor } from "./actors.js";
import { DubanError } from "./errors.js";
import { readNumber, implausibility } from "./number-input.js";
import { checkReportPeriod, parsePeriod } from "./period.js";
import { indicatorStatus, type StatusResult } from "./status.js";
import { loadTaskViews, type IndicatorView, type LatestValue } from "./tasks.js";

/** A Lark card stays interactive for 14 days; a submit from an older form is refused rather than trusted. */
export const STALE_AFTER_MS = 14 * 24 * 3600 * 1000;

/** What the report form's submit button carries (`action.value`) and what its fields hold (`form_value`). */
export const submitValueSchema = z.object({
  action: z.literal("submit_report"),
  unit_id: z.coerce.number().int().positive(),
  issued_at: z.string().datetime({ offset: true }),
  nonce: z.string().min(1).max(100),
});

/** What the 确认提交 button of the 请确认数值 card carries: the form's values, re-submitted as they were. */
export const confirmValueSchema = submitValueSchema.extend({
  action: z.literal("confirm_report"),
  indicator: z.string().regex(/^\d+$/),
  value: z.string().max(40),
  period: z.string().max(40),
  note: z.string().max(200).default(""),
});

export const formValueSchema = z.object({
  indicator: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^\d+$/, "请选择指标")),
  value: z.union([z.string(), z.number()]).transform(String),
  period: z.union([z.string(), z.number()]).transform(String).optional().default(""),
  note: z.string().max(200, "说明：最多 200 字").optional().default(""),
});

/** Reads the value field for an indicator, or throws the reader's message as a field error. */
export function validateValue(raw: string, unitOfMeasure: string | null): number {
  const r = readNumber(raw, unitOfMeasure);
  if (!r.ok) throw new DubanError("invalid_value", r.message, "value");
  return r.value;
}

/**
 * Thrown instead of storing when a value looks like a typo (far over the target, ten times the last value): the form
 * answers with a card asking 请确认数值, whose confirm button submits again with `confirmed`.
 */
export class ConfirmationNeeded extends Error {
  override name = "ConfirmationNeeded";
  constructor(
    readonly reason: string,
    readonly unit: Unit,
    readonly indicator: IndicatorView,
    readonly value: number,
    readonly period: string,
  ) {
    super(reason);
  }
}

export interface SubmitInput {
  actor: Actor;
  unitId: number;
  indicatorId: number;
  rawValue: string;
  rawPeriod: string;
  note: string;
  /** Same key = same submission (double click, retried callback): stored once. */
  requestKey: string;
  /** The official confirmed an implausible value on the 请确认数值 card. */
  confirmed?: boolean;
}

export interface SubmitResult {
  unit: Unit;
  indicator: IndicatorView;
  value: number;
  period: string;
  note: string | null;
  reportedAt: string;
  duplicate: boolean;
  role: "lead" | "support";
  /** Status judged on the value just entered, so the receipt never shows another period's or unit's status. */
  enteredStatus: StatusResult;
}

/** The indicator as the unit sees it, or a coded error when the unit may not report it. */
export async function indicatorForUnit(s: Services, actor: Actor, unitId: number, indicatorId: number) {
  const unit = actor.units.find((u) => u.id === unitId);
  if (!unit) {
    throw new DubanError("not_responsible", "您不属于该单位，不能代为填报。如单位有变，请发送 /绑定 单位名称。");
  }
  // One statement: the indicator, and the unit's role in its measure, directly or through a group it belongs to (各街道);
  // a lead link sorts before a supporting one.
  const ind = await s.db
    .selectFrom("indicators as i")
    .select(["i.task_id", "i.retired_at"])
    .select((eb) =>
      eb
        .selectFrom("task_units as tu")
        .select("tu.role")
        .whereRef("tu.task_id", "=", "i.task_id")
        .where((w) => w.or([w("tu.unit_id", "=", unit.id), w("tu.unit_id", "in", w.selectFrom("unit_group_members").select("group_id").where("unit_id", "=", unit.id))]))
        .orderBy("tu.role")
        .limit(1)
        .as("role"),
    )
    .where("i.id", "=", indicatorId)
    .executeTakeFirst();
  if (!ind) throw new DubanError("unknown_indicator", "找不到该指标，可能已被删除。请发送 /上报 重新打开填报表。", "indicator");
  if (ind.retired_at) throw new DubanError("stale_card", "该指标已在修订后的方案中取消，请发送 /我的任务 查看最新任务。", "indicator");
  if (!ind.role) {
    throw new DubanError(
      "not_responsible",
      `${unit.name} 不是该指标所属任务的责任单位，不能代为填报。请发送 /我的任务 查看本单位的指标。`,
      "indicator",
    );
  }
  const [task] = await loadTaskViews(s.db, [ind.task_id], s.clock.now());
  const view = task?.indicators.find((i) => i.id === indicatorId);
  if (!view) throw new DubanError("unknown_indicator", "找不到该指标，请发送 /上报 重新打开填报表。", "indicator");
  return { unit, indicator: view, role: ind.role };
}

/** Validates, checks responsibility, and appends one report row (idempotent on the request key). */
export async function submitReport(s: Services, input: SubmitInput): Promise<SubmitResult> {
  const { unit, indicator, role } = await indicatorForUnit(s, input.actor, input.unitId, input.indicatorId);
  const value = validateValue(input.rawValue, indicator.unitOfMeasure);
  // The form fills in the current period; an empty field means the official cleared it, not "whatever is current".
  if (!input.rawPeriod.trim()) {
    throw new DubanError("invalid_period", `周期：请填写周期，例如 ${indicator.currentPeriod}`, "period");
  }
  const parsed = parsePeriod(input.rawPeriod, indicator.periodKind);
  if (!parsed.ok) throw new DubanError("invalid_period", parsed.message, "period");
  const allowed = checkReportPeriod(parsed.period, { kind: indicator.periodKind, now: s.clock.now(), planYear: indicator.planYear });
  if (!allowed.ok) throw new DubanError("invalid_period", allowed.message, "period");
  const note = input.note.trim() || null;
  if (note && note.length > 200) throw new DubanError("invalid_note", "说明：最多 200 字，请删减后再提交", "note");
  const ownBefore = await ownNewest(s, indicator.id, unit);
  if (!input.confirmed) {
    const reason = implausibility({ value, unit: indicator.unitOfMeasure, cmp: indicator.cmp, target: indicator.target, last: ownBefore?.value ?? null });
    if (reason) throw new ConfirmationNeeded(reason, unit, indicator, value, parsed.period);
  }
  const reportedAt = s.clock.now().toISOString();
  const inserted = await s.db
    .insertInto("reports")
    .values({
      indicator_id: indicator.id,
      unit_id: unit.id,
      period: parsed.period,
      value,
      reporter_open_id: input.actor.openId,
      reported_at: reportedAt,
      note,
      request_key: input.requestKey,
    })
    .onConflict((oc) => oc.column("request_key").doNothing())
    .returning("id")
    .executeTakeFirst();
  const duplicate = !inserted;
  const enteredStatus = indicatorStatus(statusInput(indicator), value, s.clock.now());
  // A duplicate stored nothing new: the view read before is the view after. Otherwise the view follows from it and
  // the row just stored; only when it cannot tell (see viewAfterStoring) is the task read again.
  const stored: LatestValue = { value, period: parsed.period, reportedAt, unitName: unit.name };
  const after = duplicate
    ? indicator
    : (viewAfterStoring(indicator, stored, role, ownBefore, s.clock.now()) ??
      (await loadTaskViews(s.db, [indicator.taskId], s.clock.now()))[0]?.indicators.find((i) => i.id === indicator.id) ??
      indicator);
  return { unit, indicator: after, value, period: parsed.period, note, reportedAt, duplicate, role, enteredStatus };
}

const statusInput = (i: IndicatorView) => ({ cmp: i.cmp, target: i.target, target_year: i.dueYear, baseline: i.baseline, baseline_year: i.baselineYear });

/**
 * The unit's own newest row for an indicator (by period, then by row), as the task view names it: the plausibility
 * check's last value, and a supporting unit's entry in the view (see viewAfterStoring).
 */
async function ownNewest(s: Services, indicatorId: number, unit: Unit): Promise<LatestValue | null> {
  const row = await s.db
    .selectFrom("reports")
    .select(["value", "period", "reported_at"])
    .where("indicator_id", "=", indicatorId)
    .where("unit_id", "=", unit.id)
    .orderBy("period", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { value: row.value, period: row.period, reportedAt: row.reported_at, unitName: unit.name } : null;
}

const sameEntry = (a: LatestValue, b: LatestValue) =>
  a.unitName === b.unitName && a.period === b.period && a.reportedAt === b.reportedAt && a.value === b.value;
/** The order of latestValuesByRole: newest period first, then newest report (then the later row, not known here). */
const newestFirst = (a: LatestValue, b: LatestValue) =>
  a.period === b.period ? (a.reportedAt === b.reportedAt ? 0 : a.reportedAt > b.reportedAt ? -1 : 1) : a.period > b.period ? -1 : 1;

/**
 * The indicator's view after `stored` (the row just inserted, the newest row of its unit and period) joined the
 * view read before the insert, by the rules of loadTaskViews and latestValuesByRole; null when that view cannot tell.
 *
 * - A lead unit's row for a period not older than the latest becomes the latest (a row for the latest's period
 *   replaces it, the previous value stays; a newer period pushes the latest down to previous), and status is judged
 *   on it. A row for an older period, or one timed before the latest of its period (the clock went back), may change
 *   which of the lead's values are previous or latest in ways the view does not show: null.
 * - A supporting unit's entry is its own newest row, `ownBefore`, which the row replaces unless it is for an older
 *   period; the lead's values do not change.
 */
export function viewAfterStoring(view: IndicatorView, stored: LatestValue, role: "lead" | "support", ownBefore: LatestValue | null, now: Date): IndicatorView | null {
  if (role === "support") {
    if (ownBefore && stored.period < ownBefore.period) return view;
    const others = ownBefore ? view.supporting.filter((v) => !sameEntry(v, ownBefore)) : view.supporting;
    if (ownBefore && others.length !== view.supporting.length - 1) return null;
    // Before the first entry it is not older than: on a tie of period and time the later row (this one) comes first.
    const at = others.findIndex((v) => newestFirst(stored, v) <= 0);
    return { ...view, supporting: at < 0 ? [...others, stored] : [...others.slice(0, at), stored, ...others.slice(at)] };
  }
  const last = view.latest;
  if (last && newestFirst(stored, last) > 0) return null;
  return {
    ...view,
    latest: stored,
    previous: last && last.period !== stored.period ? last.value : view.previous,
    reportedThisPeriod: view.reportedThisPeriod || stored.period === view.currentPeriod,
    status: indicatorStatus(statusInput(view), stored.value, now),
  };
}

/** Chats of the units that lead the indicator's task, for telling them a supporting unit reported. */
export async function leadUnitChats(s: Services, taskId: number): Promise<{ chatId: string; unit: Unit }[]> {
  const rows = await s.db
    .selectFrom("task_units")
    .innerJoin("units", "units.id", "task_units.unit_id")
    .innerJoin("chats", "chats.unit_id", "units.id")
    .select(["chats.chat_id", "units.id", "units.name", "units.jurisdiction", "units.kind"])
    .where("task_units.task_id", "=", taskId)
    .where("task_units.role", "=", "lead")
    .where("chats.kind", "=", "unit")
    .execute();
  return rows.map((r) => ({ chatId: r.chat_id, unit: { id: r.id, name: r.name, jurisdiction: r.jurisdiction, kind: r.kind } }));
}
