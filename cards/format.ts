import type { Cmp } from "../src/store/schema.js";
import { periodLabel } from "../src/domain/period.js";
import { STATUS_COLOR, STATUS_LABEL, type IndicatorStatus } from "../src/domain/status.js";
import { colorText } from "./elements.js";

const CMP_TEXT: Record<Cmp, string> = { ">=": "≥", "<=": "≤", "=": "=" };

export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4)));
}

export function withUnit(v: number, unit: string | null): string {
  return `${formatNumber(v)}${unit ?? ""}`;
}

/** "≥81%（2027年）" */
export function targetText(i: { cmp: Cmp; target: number; unitOfMeasure: string | null; targetYear: number | null }): string {
  return `${CMP_TEXT[i.cmp]}${withUnit(i.target, i.unitOfMeasure)}${i.targetYear ? `（${i.targetYear}年）` : ""}`;
}

export function statusBadge(status: IndicatorStatus): string {
  return colorText(STATUS_LABEL[status], STATUS_COLOR[status]);
}

export function latestText(i: { latest: { value: number; period: string } | null; unitOfMeasure: string | null; previous: number | null }): string {
  if (!i.latest) return "暂无填报";
  const trend = i.previous === null ? "" : i.latest.value > i.previous ? " ↑" : i.latest.value < i.previous ? " ↓" : " →";
  return `${withUnit(i.latest.value, i.unitOfMeasure)}（${periodLabel(i.latest.period)}）${trend}`;
}

/** "2026-11-24 10:18" in China time: officials read local times. */
export function chinaTime(iso: string): string {
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return d.toISOString().slice(0, 16).replace("T", " ");
}
