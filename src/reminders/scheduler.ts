import { Cron } from "croner";
import type { Services } from "../events/types.js";
import { cnCalendarKnows } from "./holidays-cn.js";
import { localClock, type ReminderSettings } from "./plan.js";
import { enqueueReminders } from "./send.js";
import { errorLogFields } from "../lark/errors.js";

/**
 * Node: croner looks every half hour (China time); enqueueReminders itself keeps quiet outside working hours and
 * sends each reminder once, so the schedule only decides how soon after 08:30 the first ones go.
 * (Workers run the same function from the 5-minute cron trigger.) `mayRun`: only the instance holding the scheduler
 * lease does the work.
 */
export function startReminderScheduler(s: Services, cronExpr: string, settings: ReminderSettings, mayRun: () => Promise<boolean> = async () => true): () => void {
  const job = new Cron(cronExpr, { timezone: settings.tz, protect: true }, async () => {
    try {
      if (!(await mayRun())) return;
      await enqueueReminders(s, s.clock.now(), settings);
    } catch (err) {
      s.log.error("reminders failed", { ...errorLogFields(err) });
    }
  });
  s.log.info("reminders scheduled", { cron: cronExpr, tz: settings.tz, hours: settings.hours, calendar: settings.calendar, next: job.nextRun()?.toISOString() });
  const year = localClock(s.clock.now(), settings.tz).date.year;
  if (settings.calendar === "cn" && !cnCalendarKnows(year) && !settings.holidays.some((d) => d.startsWith(`${year}-`))) {
    // Without the year's arrangement reminders would go on holidays and skip 调休 Saturdays: say what to set.
    s.log.warn("holiday calendar has no arrangement for this year; list its holidays in REMINDER_HOLIDAYS", { year });
  }
  return () => job.stop();
}
