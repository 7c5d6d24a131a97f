import type { ReportPeriodKind } from "../store/schema.js";

/**
 * Reporting periods as stored in reports.period: month "2026-11", quarter "2026Q4", year "2026".
 * Officials work in China time, so "this month" is computed in the plan's time zone, not UTC.
 */
export const DEFAULT_TZ = "Asia/Shanghai";

export interface LocalDate {
  year: number;
  month: number; // 1–12
  day: number;
}

// China has had no daylight saving time since 1991, so its local date is UTC+8 arithmetic; other zones go through
// one cached Intl formatter each. Building a DateTimeFormat per call cost ~40% of a /我的任务 under load.
const CHINA_OFFSET_MS = 8 * 3_600_000;
const CHINA_ZONES = new Set(["Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"]);
const formatters = new Map<string, Intl.DateTimeFormat>();

export function localDate(at: Date, tz = DEFAULT_TZ): LocalDate {
  if (CHINA_ZONES.has(tz) && at.getTime() >= Date.UTC(1992, 0, 1)) {
    const d = new Date(at.getTime() + CHINA_OFFSET_MS);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
  }
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(tz, f);
  }
  const parts = f.formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return { year: get("year"), month: get("month"), day: get("day") };
}

export function periodOf(kind: ReportPeriodKind, d: LocalDate): string {
  if (kind === "year") return String(d.year);
  if (kind === "quarter") return `${d.year}Q${Math.ceil(d.month / 3)}`;
  return `${d.year}-${String(d.month).padStart(2, "0")}`;
}

export function currentPeriod(kind: ReportPeriodKind, now: Date, tz = DEFAULT_TZ): string {
  return periodOf(kind, localDate(now, tz));
}

export function previousPeriod(period: string): string {
  const p = decodePeriod(period);
  if (p.kind === "year") return String(p.year - 1);
  if (p.kind === "quarter") return p.index === 1 ? `${p.year - 1}Q4` : `${p.year}Q${p.index - 1}`;
  return p.index === 1 ? `${p.year - 1}-12` : `${p.year}-${String(p.index - 1).padStart(2, "0")}`;
}

export interface DecodedPeriod {
  kind: ReportPeriodKind;
  year: number;
  /** month 1–12 or quarter 1–4; 1 for a year */
  index: number;
}

export function decodePeriod(period: string): DecodedPeriod {
  let m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) return { kind: "month", year: Number(m[1]), index: Number(m[2]) };
  m = /^(\d{4})Q([1-4])$/.exec(period);
  if (m) return { kind: "quarter", year: Number(m[1]), index: Number(m[2]) };
  m = /^(\d{4})$/.exec(period);
  if (m) return { kind: "year", year: Number(m[1]), index: 1 };
  throw new Error(`not a stored period: ${period}`);
}

/** Last calendar day of a period, as [year, month, day]. */
export function periodLastDay(period: string): LocalDate {
  const p = decodePeriod(period);
  const month = p.kind === "year" ? 12 : p.kind === "quarter" ? p.index * 3 : p.index;
  const day = new Date(Date.UTC(p.year, month, 0)).getUTCDate();
  return { year: p.year, month, day };
}

export type ParsedPeriod = { ok: true; period: string } | { ok: false; message: string };

const QUARTER_WORDS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, "1": 1, "2": 2, "3": 3, "4": 4 };

/**
 * Reads what an official types for a period and normalises it to the indicator's kind. Accepts 2026-11, 2026/11,
 * 2026年11月, 202611 (month); 2026Q4, 2026-Q4, 2026年第四季度, 2026年4季度 (quarter); 2026, 2026年 (year).
 * The message says which spelling is expected, in Chinese, because it is shown to the user as is.
 */
export function parsePeriod(input: string, kind: ReportPeriodKind): ParsedPeriod {
  const s = input.trim().replace(/\s+/g, "").replace(/[／/．.]/g, "-").toUpperCase();
  const example = PERIOD_EXAMPLE[kind];
  const fail = (): ParsedPeriod => ({ ok: false, message: `周期格式不对：该指标按${PERIOD_NAME[kind]}填报，请写成 ${example}` });
  let m: RegExpExecArray | null;
  if (kind === "month") {
    m = /^(\d{4})(?:-|年)?(\d{1,2})月?$/.exec(s);
    if (!m) return fail();
    const month = Number(m[2]);
    if (month < 1 || month > 12) return { ok: false, message: `月份应在 1–12 之间，请写成 ${example}` };
    return { ok: true, period: `${m[1]}-${String(month).padStart(2, "0")}` };
  }
  if (kind === "quarter") {
    m = /^(\d{4})(?:-|年)?(?:Q|第)?([1-4一二三四])(?:季度|季)?$/.exec(s);
    if (!m) return fail();
    return { ok: true, period: `${m[1]}Q${QUARTER_WORDS[m[2]!]}` };
  }
  m = /^(\d{4})年?(?:度)?$/.exec(s);
  if (!m) return fail();
  return { ok: true, period: m[1]! };
}

export const PERIOD_NAME: Record<ReportPeriodKind, string> = { month: "月", quarter: "季度", year: "年度" };
export const PERIOD_EXAMPLE: Record<ReportPeriodKind, string> = { month: "2026-11", quarter: "2026Q4", year: "2026" };

/** Human label: 2026年11月 / 2026年第4季度 / 2026年度. */
export function periodLabel(period: string): string {
  const p = decodePeriod(period);
  if (p.kind === "month") return `${p.year}年${p.index}月`;
  if (p.kind === "quarter") return `${p.year}年第${p.index}季度`;
  return `${p.year}年度`;
}

/** ISO week key for the weekly digest, e.g. "2026-W48", in the given time zone. */
export function isoWeek(now: Date, tz = DEFAULT_TZ): string {
  const d = localDate(now, tz);
  const date = new Date(Date.UTC(d.year, d.month - 1, d.day));
  const dayNum = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - dayNum);
  const yearStart = new Date(Date.UTC(date.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((date.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

/**
 * Days after a period ends during which it may still be reported (a quarter's figures arrive in the first days of
 * the next one; a year's take longer). Later than that, a value for the old period would be a late rewrite.
 */
export const REPORT_GRACE_DAYS = 10;
export const REPORT_GRACE_DAYS_YEAR = 90;

export interface ReportWindow {
  current: string;
  /** The previous period while it is still open, with the last local day it is. */
  previous: { period: string; until: LocalDate } | null;
}

function addDays(d: LocalDate, days: number): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

const dayKey = (d: LocalDate) => d.year * 10_000 + d.month * 100 + d.day;

/** The periods an indicator of this frequency may be reported for today: the current one, and the previous one during its grace days. */
export function reportWindow(kind: ReportPeriodKind, now: Date, o: { tz?: string; graceDays?: number } = {}): ReportWindow {
  const tz = o.tz ?? DEFAULT_TZ;
  const today = localDate(now, tz);
  const current = periodOf(kind, today);
  const prev = previousPeriod(current);
  const until = addDays(periodLastDay(prev), o.graceDays ?? (kind === "year" ? REPORT_GRACE_DAYS_YEAR : REPORT_GRACE_DAYS));
  return { current, previous: dayKey(today) <= dayKey(until) ? { period: prev, until } : null };
}

/** "2026年第4季度（2026Q4）" or "…，或 2026年第3季度（2026Q3，截至10月10日）". */
export function windowText(w: ReportWindow): string {
  const cur = `${periodLabel(w.current)}（${w.current}）`;
  if (!w.previous) return cur;
  const u = w.previous.until;
  return `${cur}，或 ${periodLabel(w.previous.period)}（${w.previous.period}，截至${u.year}年${u.month}月${u.day}日）`;
}

/**
 * Whether a normalised period may be reported now: not in the future (it would hide every later correct report as
 * the latest), not closed, and not before the plan was issued. The message names the allowed periods.
 */
export function checkReportPeriod(
  period: string,
  o: { kind: ReportPeriodKind; now: Date; planYear?: number | null; tz?: string; graceDays?: number },
): { ok: true } | { ok: false; message: string } {
  const w = reportWindow(o.kind, o.now, o);
  const allowed = `现在可填报：${windowText(w)}`;
  if (o.planYear && decodePeriod(period).year < o.planYear) {
    return { ok: false, message: `周期：${periodLabel(period)} 早于方案印发的 ${o.planYear} 年，不能填报。${allowed}` };
  }
  if (period === w.current || period === w.previous?.period) return { ok: true };
  if (period > w.current) return { ok: false, message: `周期：${periodLabel(period)} 还没到，不能提前填报。${allowed}` };
  return { ok: false, message: `周期：${periodLabel(period)} 已过填报期。${allowed}` };
}
