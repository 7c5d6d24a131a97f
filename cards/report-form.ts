import type { IndicatorView } from "../src/domain/tasks.js";
import { isCountUnit } from "../src/domain/number-input.js";
import { PERIOD_EXAMPLE, PERIOD_NAME } from "../src/domain/period.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import type { Unit } from "../src/store/schema.js";
import { fits } from "./budget.js";
import { card, esc, md, plain, truncate } from "./elements.js";
import { latestText, targetText } from "./format.js";
import type { Card } from "./types.js";

export interface ReportFormInput {
  unit: Unit;
  indicators: IndicatorView[];
  /** Preselected indicator. */
  selectedId?: number;
  /** ISO time the card was issued; a submit from a card older than 14 days is refused as stale. */
  issuedAt: string;
  /** Random per card: with the submitted values it forms the request key, so a double click stores one row. */
  nonce: string;
  /** A grey line under the header text, e.g. which of the sender's units the form is for. */
  note?: string;
}

export const FORM_FIELDS = { indicator: "indicator", value: "value", period: "period", note: "note" } as const;

/** 上报 form: one form container with indicator select, value, period (defaults to the current one) and note. */
export function reportFormCard({ unit, indicators, selectedId, issuedAt, nonce, note }: ReportFormInput): Card {
  const selected = indicators.find((i) => i.id === selectedId) ?? (indicators.length === 1 ? indicators[0] : undefined);
  // Every option's text is a plain_text element in Feishu's count: the list is cut by the card budget, and the
  // preselected indicator always stays in it so the initial selection points at an option that exists.
  const build = (listed: IndicatorView[]) => formCard({ unit, indicators, listed, selected, issuedAt, nonce, note });
  let listed = selected ? [selected, ...indicators.filter((i) => i !== selected)] : indicators;
  while (listed.length > 1 && !fits(build(listed))) listed = listed.slice(0, Math.ceil(listed.length * 0.8));
  return build(listed);
}

function formCard({ unit, indicators, listed, selected, issuedAt, nonce, note }: {
  unit: Unit; indicators: IndicatorView[]; listed: IndicatorView[]; selected: IndicatorView | undefined; issuedAt: string; nonce: string; note: string | undefined;
}): Card {
  const options = listed.map((i) => ({
    text: plain(truncate(`${i.name}（目标 ${targetText(i)}）`, 60)),
    value: String(i.id),
  }));
  const cut = listed.length < indicators.length
    ? `\n<font color='grey'>下拉列表列出 ${indicators.length} 个指标中的 ${listed.length} 个；其余请发送 /上报 指标关键词 筛选。</font>`
    : "";
  const info = selected
    ? md(`**${esc(selected.name)}**\n目标 ${esc(targetText(selected))}　最新 ${esc(latestText(selected))}\n` +
        `按${PERIOD_NAME[selected.periodKind]}填报，本期：${selected.currentPeriod}\n<font color='grey'>原文：${esc(truncate(selected.quote, 80))}</font>` + cut + (note ? `\n<font color='grey'>${esc(note)}</font>` : ""))
    : md(`请选择要填报的指标（共 ${indicators.length} 个）。` + cut + (note ? `\n<font color='grey'>${esc(note)}</font>` : ""));
  const periodDefault = selected?.currentPeriod ?? "";
  const periodHint = selected ? PERIOD_EXAMPLE[selected.periodKind] : "2026Q4 / 2026-11 / 2026";
  const form = {
    tag: "form",
    name: "report_form",
    elements: [
      {
        tag: "select_static",
        name: FORM_FIELDS.indicator,
        required: true,
        placeholder: plain("指标"),
        // initial_index (1-based position in options) rather than initial_option, whose documented example is the
        // option's text while the callback returns its value: the index cannot be read two ways.
        ...(selected ? { initial_index: listed.indexOf(selected) + 1 } : {}),
        options,
      },
      {
        tag: "input",
        name: FORM_FIELDS.value,
        required: true,
        max_length: 30,
        label: plain("数值"),
        placeholder: plain(selected?.unitOfMeasure === "%" ? "0–100，例如 85.5" : isCountUnit(selected?.unitOfMeasure ?? null) ? `整数，例如 3 或 3${selected!.unitOfMeasure}` : "例如 85.5"),
      },
      {
        tag: "input",
        name: FORM_FIELDS.period,
        required: true,
        max_length: 20,
        label: plain("周期"),
        ...(periodDefault ? { default_value: periodDefault } : {}),
        placeholder: plain(`例如 ${periodHint}`),
      },
      {
        tag: "input",
        name: FORM_FIELDS.note,
        input_type: "multiline_text",
        rows: 3,
        max_length: 200,
        label: plain("说明"),
        placeholder: plain("选填，200 字以内"),
      },
      {
        tag: "button",
        name: "submit",
        type: "primary",
        form_action_type: "submit",
        text: plain("提交"),
        behaviors: [{ type: "callback", value: { action: "submit_report", unit_id: unit.id, issued_at: issuedAt, nonce } }],
      },
    ],
  };
  return card(`指标填报 · ${unitLabel(unit)}`, [info, form], { color: "blue", summary: "指标填报" });
}
