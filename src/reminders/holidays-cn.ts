/**
 * China's public holidays as the State Council's General Office (国务院办公厅) arranges them each year, for the
 * reminders' quiet-day rule: days off (放假) are not working days even on a weekday, and adjusted working days
 * (调休上班) are working days even on a weekend, because offices work then and a deadline still runs.
 *
 * Only years whose notice is known are listed; a year missing here falls back to plain weekdays (the scheduler logs
 * it), and REMINDER_HOLIDAYS adds days off on top of whatever is here.
 */
export interface YearArrangement {
  /** Days off, as "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD". */
  off: string[];
  /** Weekend days that are working days (调休上班). */
  work: string[];
}

export const CN_HOLIDAYS: Record<number, YearArrangement> = {
  // 国务院办公厅关于2026年部分节假日安排的通知, 2025年11月4日 (新华社).
  2026: {
    off: [
      "2026-01-01..2026-01-03", // 元旦
      "2026-02-15..2026-02-23", // 春节
      "2026-04-04..2026-04-06", // 清明节
      "2026-05-01..2026-05-05", // 劳动节
      "2026-06-19..2026-06-21", // 端午节
      "2026-09-25..2026-09-27", // 中秋节
      "2026-10-01..2026-10-07", // 国庆节
    ],
    work: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
  },
};

/** "2026-10-01..2026-10-03" → each date of the range; a single date → itself. Ranges are capped at a year. */
export function expandDates(spec: string): string[] {
  return spec.split(",").filter(Boolean).flatMap((part) => {
    const [from, to = from] = part.split("..") as [string, string?];
    const out: string[] = [];
    for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && out.length < 366; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
    return out;
  });
}

const byDate = new Map<string, "off" | "work">();
for (const y of Object.values(CN_HOLIDAYS)) {
  for (const d of expandDates(y.off.join(","))) byDate.set(d, "off");
  for (const d of y.work) byDate.set(d, "work");
}

/** What the official arrangement makes of a date: a day off, an adjusted working day, or nothing special. */
export const cnCalendarDay = (isoDate: string): "off" | "work" | undefined => byDate.get(isoDate);

/** Whether the built-in calendar knows this year's arrangement. */
export const cnCalendarKnows = (year: number) => year in CN_HOLIDAYS;
