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

type TargetLike = {
  cmp: Cmp; target: number; unitOfMeasure: string | null; targetYear: number | null; dueYear?: number | null; dueYearSource?: string | null;
};

/**
 * "≥81%（2027年）"; a year the indicator's own text does not state (the importer took it from the deadline, the
 * annual plan or the plan's objective) is flagged: "≥5个（2027年）（年份推定）".
 */
export function targetText(i: TargetLike): string {
  const y = i.targetYear ?? i.dueYear ?? null;
  const guessed = i.dueYearSource ? i.dueYearSource !== "text" : i.targetYear === null;
  const year = y ? `（${y}年）${guessed ? "（年份推定）" : ""}` : "";
  return `${CMP_TEXT[i.cmp]}${withUnit(i.target, i.unitOfMeasure)}${year}`;
}

/** Expected values are interpolated: one decimal is all an official can act on. */
const roughly = (v: number) => formatNumber(Math.round(v * 10) / 10);

/**
 * Why a status is what it is, in one line an official can check by hand, e.g.
 * "80.5% 低于按进度应达到的 80.8%（基线 78%（2024年）→ 目标 ≥81%（2027年））".
 */
export function statusReason(
  i: TargetLike & { baseline: number | null; baselineYear: number | null; status: { status: IndicatorStatus; expected: number | null } },
  value: number | null,
): string {
  const u = i.unitOfMeasure;
  const target = targetText(i);
  const v = value === null ? null : withUnit(value, u);
  const st = i.status;
  switch (st.status) {
    case "achieved":
      return `${v} 已达到目标 ${target}`;
    case "not_reported":
      return `尚未填报，目标 ${target}`;
    case "overdue":
      return v === null ? `目标年份已过，仍未填报（目标 ${target}）` : `目标年份已过，未达标（当前 ${v}，目标 ${target}）`;
    case "behind":
    case "on_track": {
      if (st.expected !== null && i.baseline !== null && i.baselineYear !== null && st.expected !== i.target) {
        const path = `（基线 ${withUnit(i.baseline, u)}（${i.baselineYear}年）→ 目标 ${target}）`;
        const word = st.status === "behind" ? (i.cmp === "<=" ? "高于" : "低于") : "达到";
        return `${v} ${word}按进度应达到的 ${withUnit(Number(roughly(st.expected)), u)}${path}`;
      }
      if (st.status === "behind") return `目标年份已到，当前 ${v} 未达到目标 ${target}`;
      return i.targetYear || i.dueYear ? `无基线：只在目标年份判断（当前 ${v}，目标 ${target}）` : `无目标年份：只判断是否达标（当前 ${v}，目标 ${target}）`;
    }
  }
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
