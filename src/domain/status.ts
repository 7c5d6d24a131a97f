import type { Cmp } from "../store/schema.js";
import { DEFAULT_TZ, localDate } from "./period.js";

/**
 * Whether an indicator is where it should be. "Behind" depends on the direction of the target and on the time
 * left: with a baseline, progress is expected to move linearly from the baseline (at the end of its year) to the
 * target (at the end of the target year); without one, only the target year can say a value is late.
 */
export type IndicatorStatus = "achieved" | "on_track" | "behind" | "not_reported" | "overdue";

export const STATUS_LABEL: Record<IndicatorStatus, string> = {
  achieved: "已达标",
  on_track: "进度正常",
  behind: "进度滞后",
  not_reported: "未填报",
  overdue: "已逾期",
};

/** Card colours (Lark enum names) per status. */
export const STATUS_COLOR: Record<IndicatorStatus, string> = {
  achieved: "green",
  on_track: "blue",
  behind: "orange",
  not_reported: "grey",
  overdue: "red",
};

export interface StatusInput {
  cmp: Cmp;
  target: number;
  target_year: number | null;
  baseline: number | null;
  baseline_year: number | null;
}

export interface StatusResult {
  status: IndicatorStatus;
  /** Where the value should be by now, when a baseline makes that computable. */
  expected: number | null;
  /** Share of the way from baseline to target, 0–1+, when computable. */
  progress: number | null;
}

const EPS = 1e-9;

export function meetsTarget(cmp: Cmp, value: number, target: number): boolean {
  if (cmp === ">=") return value >= target - EPS;
  if (cmp === "<=") return value <= target + EPS;
  return Math.abs(value - target) <= EPS * Math.max(1, Math.abs(target));
}

/** Fraction of the time from the start (Jan 1 after the baseline year) to the end of the target year, 0–1. */
export function elapsedFraction(startYear: number, targetYear: number, now: Date, tz = DEFAULT_TZ): number {
  const d = localDate(now, tz);
  const today = Date.UTC(d.year, d.month - 1, d.day);
  const start = Date.UTC(startYear, 0, 1);
  const end = Date.UTC(targetYear, 11, 31);
  if (end <= start) return 1;
  return Math.min(1, Math.max(0, (today - start) / (end - start)));
}

export function indicatorStatus(ind: StatusInput, latest: number | null, now: Date, tz = DEFAULT_TZ): StatusResult {
  const thisYear = localDate(now, tz).year;
  const yearPassed = ind.target_year !== null && thisYear > ind.target_year;
  if (latest === null) return { status: yearPassed ? "overdue" : "not_reported", expected: null, progress: null };
  const progress =
    ind.baseline !== null && ind.target !== ind.baseline ? (latest - ind.baseline) / (ind.target - ind.baseline) : null;
  if (meetsTarget(ind.cmp, latest, ind.target)) return { status: "achieved", expected: ind.target, progress };
  if (yearPassed) return { status: "overdue", expected: ind.target, progress };
  if (ind.target_year === null) return { status: "on_track", expected: null, progress };
  if (ind.baseline !== null && ind.baseline_year !== null && ind.baseline_year < ind.target_year) {
    const f = elapsedFraction(ind.baseline_year + 1, ind.target_year, now, tz);
    const expected = ind.baseline + (ind.target - ind.baseline) * f;
    const behind = ind.cmp === "<=" ? latest > expected + EPS : latest < expected - EPS;
    return { status: behind ? "behind" : "on_track", expected, progress };
  }
  // No baseline: a target due this year and not met is behind; earlier than that, nothing says it is late.
  return { status: ind.target_year <= thisYear ? "behind" : "on_track", expected: null, progress };
}
