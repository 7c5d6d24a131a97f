import { periodLabel } from "../src/domain/period.js";
import type { IndicatorView } from "../src/domain/tasks.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import type { Unit } from "../src/store/schema.js";
import { button, card, esc, md } from "./elements.js";
import { latestText, targetText, withUnit } from "./format.js";
import type { Card } from "./types.js";

export interface ConfirmValueInput {
  unit: Unit;
  indicator: IndicatorView;
  value: number;
  period: string;
  /** Why the value looks wrong, one sentence. */
  reason: string;
  /** What the confirm button re-submits: the form's values and its request identity. */
  resubmit: { issued_at: string; nonce: string; indicator: string; value: string; period: string; note: string };
}

/**
 * Replaces the form when a value looks like a typo. Nothing is stored until 确认提交; 返回修改 reopens the form for
 * the same indicator.
 */
export function confirmValueCard(c: ConfirmValueInput): Card {
  const i = c.indicator;
  return card(`请确认数值 · ${unitLabel(c.unit)}`, [
    md(
      `**${esc(i.name)}**\n${periodLabel(c.period)}：**${esc(withUnit(c.value, i.unitOfMeasure))}**\n` +
        `目标 ${esc(targetText(i))}　最新 ${esc(latestText(i))}\n<font color='orange'>${esc(c.reason)}，请确认是否填写正确。</font>`,
    ),
    md("<font color='grey'>尚未保存。确认无误请点“确认提交”，填错了请点“返回修改”。</font>"),
    button("确认提交", { action: "confirm_report", unit_id: c.unit.id, ...c.resubmit }, { type: "primary" }),
    button("返回修改", { action: "open_report_form", unit_id: c.unit.id, indicator_id: i.id }),
  ], { color: "orange", summary: "请确认数值" });
}
