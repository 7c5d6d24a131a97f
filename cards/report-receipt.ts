import { periodLabel } from "../src/domain/period.js";
import type { IndicatorFacts } from "../src/domain/tasks.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import type { Unit } from "../src/store/schema.js";
import { button, card, esc, md } from "./elements.js";
import type { StatusResult } from "../src/domain/status.js";
import { chinaTime, statusBadge, statusReason, targetText, withUnit } from "./format.js";
import type { Card } from "./types.js";

export interface ReceiptInput {
  unit: Unit;
  /** What the indicator is: its stored values are not shown, only the value just entered. */
  indicator: IndicatorFacts;
  value: number;
  period: string;
  note: string | null;
  reporterOpenId: string;
  reportedAt: string;
  /** True when the same submission had already been stored (double click / retry). */
  duplicate: boolean;
  /** Status judged on the value just entered. */
  enteredStatus: StatusResult;
  role?: "lead" | "support";
}

/**
 * Replaces the form after a successful submit, showing what is now stored and the status of the value just entered
 * (not of whatever else is latest), with its reason.
 */
export function reportReceiptCard(r: ReceiptInput): Card {
  const i = { ...r.indicator, status: r.enteredStatus };
  return card(`已记录 · ${unitLabel(r.unit)}`, [
    md(
      `**${esc(i.name)}**\n${periodLabel(r.period)}：**${esc(withUnit(r.value, i.unitOfMeasure))}**　${statusBadge(i.status.status)}\n` +
        `<font color='grey'>${esc(statusReason(i, r.value))}</font>\n` +
        (r.role === "support" ? "<font color='grey'>（配合单位填报，单独显示，不计为牵头单位的最新值）</font>\n" : "") +
        `目标 ${esc(targetText(i))}\n填报人 <at id="${r.reporterOpenId}"></at>　${chinaTime(r.reportedAt)}` +
        (r.note ? `\n说明：${esc(r.note)}` : "") +
        (r.duplicate ? "\n<font color='grey'>（重复提交，已忽略，未新增记录）</font>" : ""),
    ),
    md("<font color='grey'>如需更正，再次填报即可：历史记录全部保留，以最新一次为准。</font>"),
    button("再填一项", { action: "open_report_form", unit_id: r.unit.id, indicator_id: i.id }),
  ], { color: "green", summary: `已记录 ${i.name}` });
}

/** Sent to the lead unit's chat when a supporting unit reports on one of its indicators. */
export function supportReportedCard(r: { leadUnit: Unit; reporterUnit: Unit; indicator: IndicatorFacts; value: number; period: string }): Card {
  return card("配合单位已填报", [
    md(`${esc(r.reporterUnit.name)} 填报了 **${esc(r.indicator.name)}**：${periodLabel(r.period)} **${esc(withUnit(r.value, r.indicator.unitOfMeasure))}**` +
      `\n目标 ${esc(targetText(r.indicator))}。请牵头单位 ${esc(r.leadUnit.name)} 核对。`),
  ], { color: "wathet" });
}
