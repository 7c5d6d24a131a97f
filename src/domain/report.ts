import { sql } from "kysely";
import { z } from "zod";
import type { Services } from "../events/types.js";
import type { Unit } from "../store/schema.js";
import type { Actor } from "./actors.js";
import { DubanError } from "./errors.js";
import { readNumber, implausibility } from "./number-input.js";
import { checkReportPeriod, parsePeriod } from "./period.js";
import { indicatorStatus, type StatusResult } from "./status.js";
import { executeReusable } from "../store/compiled-once.js";
import { latestValuesByRole, newestReportOnly } from "../store/latest-values.js";
import { currentPeriods, indicatorFacts, planYearOf, statusInput, withValues, type IndicatorFacts, type IndicatorView, type LatestValue } from "./tasks.js";

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
  /** What the indicator is; its values are not read (the receipt shows the value entered, with enteredStatus). */
  indicator: IndicatorFacts;
  value: number;
  period: string;
  note: string | null;
  reportedAt: string;
  duplicate: boolean;
  role: "lead" | "support";
  /** Status judged on the value just entered, so the receipt never shows another period's or unit's status. */
  enteredStatus: StatusResult;
}

/**
 * The indicator as the unit may report it, the unit's role in its measure and the unit's own newest row for it (the
 * plausibility check's last value), or a coded error when the unit may not report it. One statement: the indicator
 * with its plan, the role (directly or through a group it belongs to, 各街道; a lead link sorts before a supporting
 * one) and the newest row (by period, then by row). The indicator's reported values are not read: the receipt shows
 * the value just entered and its status, and only a value that needs confirming reads them (see submitReport).
 */
export async function indicatorForUnit(s: Services, actor: Actor, unitId: number, indicatorId: number) {
  const unit = actor.units.find((u) => u.id === unitId);
  if (!unit) {
    throw new DubanError("not_responsible", "您不属于该单位，不能代为填报。如单位有变，请发送 /绑定 单位名称。");
  }
  // Compiled once (src/store/compiled-once.ts): building it cost more CPU than SQLite takes to run it.
  const [row] = await executeReusable(s.db, {
    key: "report/indicator-for-unit",
    build: ([roleUnit, groupUnit, ownUnit, id]: readonly [number, number, number, number]) =>
      s.db
        .selectFrom("indicators as i")
        .innerJoin("tasks as t", "t.id", "i.task_id")
        .innerJoin("plans as p", "p.id", "t.plan_id")
        .leftJoin("reports as o", (join) =>
          join.on((eb) =>
            eb(
              "o.id",
              "=",
              eb
                .selectFrom("reports as r")
                .select("r.id")
                .whereRef("r.indicator_id", "=", "i.id")
                .where("r.unit_id", "=", ownUnit)
                .$call(newestReportOnly),
            ),
          ),
        )
        .selectAll("i")
        .select(["p.title as plan_title", "p.issued_on as plan_issued_on", "o.value as own_value", "o.period as own_period", "o.reported_at as own_reported_at"])
        .select((eb) =>
          eb
            .selectFrom("task_units as tu")
            .select("tu.role")
            .whereRef("tu.task_id", "=", "i.task_id")
            .where((w) => w.or([w("tu.unit_id", "=", roleUnit), w("tu.unit_id", "in", w.selectFrom("unit_group_members").select("group_id").where("unit_id", "=", groupUnit))]))
            .orderBy("tu.role")
            .limit(sql.lit(1))
            .as("role"),
        )
        .where("i.id", "=", id),
  }, [unit.id, unit.id, unit.id, indicatorId] as const);
  if (!row) throw new DubanError("unknown_indicator", "找不到该指标，可能已被删除。请发送 /上报 重新打开填报表。", "indicator");
  if (row.retired_at) throw new DubanError("stale_card", "该指标已在修订后的方案中取消，请发送 /我的任务 查看最新任务。", "indicator");
  if (!row.role) {
    throw new DubanError(
      "not_responsible",
      `${unit.name} 不是该指标所属任务的责任单位，不能代为填报。请发送 /我的任务 查看本单位的指标。`,
      "indicator",
    );
  }
  const indicator = indicatorFacts(row, planYearOf(row.plan_issued_on, row.plan_title), currentPeriods(s.clock.now()));
  const ownNewest: LatestValue | null =
    row.own_value !== null && row.own_period !== null && row.own_reported_at !== null
      ? { value: row.own_value, period: row.own_period, reportedAt: row.own_reported_at, unitName: unit.name }
      : null;
  return { unit, indicator, role: row.role, ownNewest };
}

/** Validates, checks responsibility, and appends one report row (idempotent on the request key). */
export async function submitReport(s: Services, input: SubmitInput): Promise<SubmitResult> {
  const { unit, indicator, role, ownNewest } = await indicatorForUnit(s, input.actor, input.unitId, input.indicatorId);
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
  if (!input.confirmed) {
    const reason = implausibility({ value, unit: indicator.unitOfMeasure, cmp: indicator.cmp, target: indicator.target, last: ownNewest?.value ?? null });
    if (reason) {
      // The 请确认数值 card shows the indicator's latest value: read only on this rare path.
      const values = await latestValuesByRole(s.db, [indicator.id], currentPeriods(s.clock.now()));
      throw new ConfirmationNeeded(reason, unit, withValues(indicator, values.get(indicator.id), s.clock.now()), value, parsed.period);
    }
  }
  const reportedAt = s.clock.now().toISOString();
  const [inserted] = await executeReusable(s.db, {
    key: "report/insert",
    build: ([indicatorId, unitId, period, v, reporter, at, n, requestKey]: readonly [number, number, string, number, string, string, string | null, string]) =>
      s.db
        .insertInto("reports")
        .values({ indicator_id: indicatorId, unit_id: unitId, period, value: v, reporter_open_id: reporter, reported_at: at, note: n, request_key: requestKey })
        .onConflict((oc) => oc.column("request_key").doNothing())
        .returning("id"),
  }, [indicator.id, unit.id, parsed.period, value, input.actor.openId, reportedAt, note, input.requestKey] as const);
  const enteredStatus = indicatorStatus(statusInput(indicator), value, s.clock.now());
  return { unit, indicator, value, period: parsed.period, note, reportedAt, duplicate: !inserted, role, enteredStatus };
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
