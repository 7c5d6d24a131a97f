import type { Kysely } from "kysely";
import { DEFAULT_TZ, periodLabel, periodLastDay, previousPeriod, type LocalDate } from "../domain/period.js";
import { chunked, groupBy, loadTaskViews, unitTasks, type TaskView } from "../domain/tasks.js";
import type { Database, Unit } from "../store/schema.js";
import { parseItems } from "../supervision/ledger.js";
import { cnCalendarDay } from "./holidays-cn.js";

/**
 * Reminders before deadlines: what each unit should be told today, as a pure function of the store and the clock.
 * Every item carries a stage in its key ("indicator:21@2026Q4#5"), and a stage that the record (supervision_events,
 * kind reminder) already holds for the unit is never planned again, so each reminder goes once however often the
 * job runs and whichever day it first gets to run.
 */
export interface ReminderSettings {
  tz: string;
  /** Local working hours in which reminders may go, "08:30-18:00" (end exclusive). */
  hours: string;
  /** ISO weekdays reminders may go on (1 = Monday … 7 = Sunday). */
  weekdays: number[];
  /** Local dates (YYYY-MM-DD) without reminders, on top of the calendar (they win over an adjusted working day). */
  holidays: string[];
  /** "cn": China's official arrangement (holidays off, 调休 weekends working); "none": weekdays and `holidays` only. */
  calendar: "cn" | "none";
  /** Reminders for an indicator without a value this many days before its period ends (0 = the last day). */
  indicatorDaysBefore: number[];
  /** Reminders this many days before a measure's deadline. */
  measureDaysBefore: number[];
  /** An overdue notice not sent on its day (the bot was down, a holiday) is still sent within this many days. */
  overdueCatchUpDays: number;
}

export const DEFAULT_REMINDER_SETTINGS: ReminderSettings = {
  tz: DEFAULT_TZ,
  hours: "08:30-18:00",
  weekdays: [1, 2, 3, 4, 5],
  holidays: [],
  calendar: "cn",
  indicatorDaysBefore: [5, 0],
  measureDaysBefore: [7, 1],
  overdueCatchUpDays: 7,
};

export interface ReminderItem {
  /** Stage key: what and which reminder of it, e.g. "indicator:21@2026Q4#5", "task:7#overdue". */
  key: string;
  kind: "indicator" | "measure";
  reason: "due_soon" | "overdue";
  indicatorId: number | null;
  name: string;
  /** What is due when, in words. */
  text: string;
}

export interface UnitReminder {
  unit: Unit;
  items: ReminderItem[];
}

// Day numbers (days since 1970-01-01 of a local date) make "N days before" plain arithmetic.
const dayNum = (d: LocalDate) => Math.round(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);
const fromDayNum = (n: number): LocalDate => {
  const t = new Date(n * 86_400_000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
};
const iso = (d: LocalDate) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;
const fmt = (n: number) => {
  const d = fromDayNum(n);
  return `${d.month}月${d.day}日`;
};

const clockFormatters = new Map<string, Intl.DateTimeFormat>();

/** Local date, minute of the day and ISO weekday of an instant in a time zone. */
export function localClock(now: Date, tz: string): { date: LocalDate; minutes: number; weekday: number } {
  let f = clockFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
    clockFormatters.set(tz, f);
  }
  const parts = f.formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(get("weekday")) + 1;
  return { date: { year: Number(get("year")), month: Number(get("month")), day: Number(get("day")) }, minutes: Number(get("hour")) * 60 + Number(get("minute")), weekday };
}

const parseHours = (h: string): [number, number] => {
  const [a, b] = h.split("-").map((x) => {
    const [hh, mm] = x.split(":").map(Number);
    return hh! * 60 + mm!;
  });
  return [a!, b!];
};

/**
 * Working day: not a listed holiday; then the official calendar's day off or 调休 working day; else a configured
 * weekday.
 */
export function isWorkingDay(n: number, s: ReminderSettings): boolean {
  const date = iso(fromDayNum(n));
  if (s.holidays.includes(date)) return false;
  const official = s.calendar === "cn" ? cnCalendarDay(date) : undefined;
  if (official) return official === "work";
  const weekday = ((new Date(n * 86_400_000).getUTCDay() + 6) % 7) + 1;
  return s.weekdays.includes(weekday);
}

/** The working day on or before n (a reminder due on a weekend goes the Friday before, not after the deadline). */
function workingOnOrBefore(n: number, s: ReminderSettings): number {
  for (let i = 0; i < 31; i++) if (isWorkingDay(n - i, s)) return n - i;
  return n;
}

function workingOnOrAfter(n: number, s: ReminderSettings): number {
  for (let i = 0; i < 31; i++) if (isWorkingDay(n + i, s)) return n + i;
  return n;
}

/** Whether reminders may go out at this instant: inside working hours on a working day. */
export function mayRemind(now: Date, s: ReminderSettings): boolean {
  const c = localClock(now, s.tz);
  const [from, to] = parseHours(s.hours);
  return c.minutes >= from && c.minutes < to && isWorkingDay(dayNum(c.date), s);
}

/**
 * The stage of a "before the end" reminder active today: the smallest threshold whose day (moved back to a working
 * day) has come, while the end has not passed. null when none has come yet.
 */
function activeStage(today: number, end: number, thresholds: number[], s: ReminderSettings): number | null {
  if (today > end) return null;
  const hit = thresholds.filter((t) => today >= workingOnOrBefore(end - t, s));
  return hit.length ? Math.min(...hit) : null;
}

/**
 * Whether an overdue notice for something that ended on `end` is due today: from its first working day after, for a
 * few days of catch-up counted from that day (a period closing before the 8-day 国庆 break is noticed after it).
 */
const overdueActive = (today: number, end: number, s: ReminderSettings) => {
  const first = workingOnOrAfter(end + 1, s);
  return today > end && today >= first && today - first <= s.overdueCatchUpDays;
};

const daysLeftText = (left: number) => (left === 0 ? "今天截止" : `还有 ${left} 天`);

/** Stage keys a unit has already been reminded of. */
async function remindedKeys(db: Kysely<Database>, unitId: number): Promise<Set<string>> {
  const rows = await db.selectFrom("supervision_events").select("items").where("unit_id", "=", unitId).where("kind", "=", "reminder").execute();
  return new Set(rows.flatMap((r) => parseItems(r)));
}

/** What the plan needs to know of one unit: the measures it leads (directly or through a group), in plan order. */
interface UnitFacts {
  leadTasks: TaskView[];
  /** "indicatorId@period" this unit has reported (the previous period's gap is this unit's, not a supporter's). */
  reported: Set<string>;
  /** Stage keys already in the record. */
  done: Set<string>;
}

/** What one unit should be reminded of today (assumes the caller checked mayRemind). One unit, its own queries. */
export async function unitReminderItems(db: Kysely<Database>, unit: Unit, now: Date, s: ReminderSettings = DEFAULT_REMINDER_SETTINGS): Promise<ReminderItem[]> {
  const leadTasks = (await unitTasks(db, unit, now)).filter((t) => t.role === "lead");
  const reported = await chunked(leadTasks.flatMap((t) => t.indicators.map((i) => i.id)), (ids) =>
    db.selectFrom("reports").select(["indicator_id", "period"]).where("unit_id", "=", unit.id).where("indicator_id", "in", ids).execute(),
  );
  return itemsOf({ leadTasks, reported: new Set(reported.map((r) => `${r.indicator_id}@${r.period}`)), done: await remindedKeys(db, unit.id) }, now, s);
}

/**
 * The same facts for many units in a fixed number of statements (each chunked under D1's 100 parameters): group
 * memberships, lead links, the task views once for all, the reports of the previous periods, the record. Reading
 * unit by unit cost about eight statements per unit.
 */
async function loadFacts(db: Kysely<Database>, units: Unit[], now: Date): Promise<Map<number, UnitFacts>> {
  const ids = units.map((u) => u.id);
  const memberships = await chunked(ids, (c) => db.selectFrom("unit_group_members").select(["group_id", "unit_id"]).where("unit_id", "in", c).execute());
  const groupsOf = groupBy(memberships, (m) => m.unit_id);
  const responsible = [...new Set([...ids, ...memberships.map((m) => m.group_id)])];
  const links = await chunked(responsible, (c) =>
    db.selectFrom("task_units").innerJoin("tasks", "tasks.id", "task_units.task_id").select(["task_units.task_id", "task_units.unit_id"])
      .where("task_units.unit_id", "in", c).where("task_units.role", "=", "lead").where("tasks.retired_at", "is", null).execute(),
  );
  const leadOf = groupBy(links, (l) => l.unit_id);
  const views = await loadTaskViews(db, [...new Set(links.map((l) => l.task_id))], now);
  // Only the previous periods are looked up (the current one is in the views), which keeps the read small.
  const periods = [...new Set(views.flatMap((v) => v.indicators.map((i) => previousPeriod(i.currentPeriod))))];
  const reports = periods.length
    ? await chunked(ids, (c) => db.selectFrom("reports").select(["unit_id", "indicator_id", "period"]).where("unit_id", "in", c).where("period", "in", periods).execute(), 80)
    : [];
  const reportsOf = groupBy(reports, (r) => r.unit_id);
  const events = await chunked(ids, (c) => db.selectFrom("supervision_events").select(["unit_id", "items"]).where("kind", "=", "reminder").where("unit_id", "in", c).execute());
  const eventsOf = groupBy(events, (e) => e.unit_id);
  const out = new Map<number, UnitFacts>();
  for (const u of units) {
    const tasks = new Set([u.id, ...(groupsOf.get(u.id) ?? []).map((g) => g.group_id)].flatMap((id) => (leadOf.get(id) ?? []).map((l) => l.task_id)));
    out.set(u.id, {
      leadTasks: views.filter((v) => tasks.has(v.id)),
      reported: new Set((reportsOf.get(u.id) ?? []).map((r) => `${r.indicator_id}@${r.period}`)),
      done: new Set((eventsOf.get(u.id) ?? []).flatMap((e) => parseItems(e))),
    });
  }
  return out;
}

/** The plan for one unit from its facts: pure, the same for the per-unit and the batched reads. */
function itemsOf({ leadTasks: tasks, reported: reportedKeys, done }: UnitFacts, now: Date, s: ReminderSettings): ReminderItem[] {
  const today = dayNum(localClock(now, s.tz).date);
  const items: ReminderItem[] = [];
  for (const t of tasks) {
    for (const i of t.indicators) {
      if (!i.reportedThisPeriod && !(i.planYear !== null && Number(i.currentPeriod.slice(0, 4)) < i.planYear)) {
        const end = dayNum(periodLastDay(i.currentPeriod));
        const stage = activeStage(today, end, s.indicatorDaysBefore, s);
        if (stage !== null) {
          items.push({
            key: `indicator:${i.id}@${i.currentPeriod}#${stage}`,
            kind: "indicator",
            reason: "due_soon",
            indicatorId: i.id,
            name: i.name,
            text: `${periodLabel(i.currentPeriod)}尚未填报，本期 ${fmt(end)} 截止（${daysLeftText(end - today)}）`,
          });
        }
      }
      const prev = previousPeriod(i.currentPeriod);
      const prevEnd = dayNum(periodLastDay(prev));
      const reportedPrev = reportedKeys.has(`${i.id}@${prev}`);
      const beforePlan = i.planYear !== null && Number(prev.slice(0, 4)) < i.planYear;
      if (!reportedPrev && !beforePlan && overdueActive(today, prevEnd, s)) {
        items.push({
          key: `indicator:${i.id}@${prev}#overdue`,
          kind: "indicator",
          reason: "overdue",
          indicatorId: i.id,
          name: i.name,
          text: `${periodLabel(prev)}已于 ${fmt(prevEnd)} 截止，尚未填报，已逾期（补报时周期填 ${prev}）`,
        });
      }
    }
    if (!t.deadline || !/^\d{4}-\d{2}-\d{2}$/.test(t.deadline)) continue;
    // A measure whose indicators have all reached their targets needs no push; one without indicators may still be open.
    if (t.indicators.length > 0 && t.indicators.every((i) => i.status.status === "achieved")) continue;
    const [y, m, d] = t.deadline.split("-").map(Number);
    const end = dayNum({ year: y!, month: m!, day: d! });
    const label = `措施 ${t.code}${t.title ? ` ${t.title}` : ""}`;
    const stage = activeStage(today, end, s.measureDaysBefore, s);
    if (stage !== null) {
      items.push({ key: `task:${t.id}#${stage}`, kind: "measure", reason: "due_soon", indicatorId: null, name: label, text: `完成时限 ${t.deadlineText ?? t.deadline}（${fmt(end)}，${daysLeftText(end - today)}）` });
    } else if (overdueActive(today, end, s)) {
      items.push({ key: `task:${t.id}#overdue`, kind: "measure", reason: "overdue", indicatorId: null, name: label, text: `完成时限 ${t.deadlineText ?? t.deadline}（${fmt(end)}）已过，已逾期` });
    }
  }
  const seen = new Set<string>();
  return items.filter((i) => !done.has(i.key) && !seen.has(i.key) && seen.add(i.key));
}

/** Every unit with something to be reminded of now; empty outside working hours. */
export async function planReminders(db: Kysely<Database>, now: Date, s: ReminderSettings = DEFAULT_REMINDER_SETTINGS): Promise<UnitReminder[]> {
  if (!mayRemind(now, s)) return [];
  // Only units someone would hear from: a bound chat or a member (the others have nobody to send to).
  const units = await db
    .selectFrom("units")
    .selectAll()
    .where("kind", "=", "unit")
    .where((eb) => eb.or([
      eb("id", "in", eb.selectFrom("chats").select("unit_id").where("kind", "=", "unit").where("unit_id", "is not", null)),
      eb("id", "in", eb.selectFrom("members").select("unit_id").where("unit_id", "is not", null)),
    ]))
    .orderBy("id")
    .execute();
  const facts = await loadFacts(db, units, now);
  const out: UnitReminder[] = [];
  for (const unit of units) {
    const items = itemsOf(facts.get(unit.id)!, now, s);
    if (items.length) out.push({ unit, items });
  }
  return out;
}
