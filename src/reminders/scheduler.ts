import { Cron } from "croner";
import type { Services } from "../events/types.js";
import type { ReminderSettings } from "./plan.js";
import { enqueueReminders } from "./send.js";

/**
 * Node: croner looks every half hour (China time); enqueueReminders itself keeps quiet outside working hours and
 * sends each reminder once, so the schedule only decides how soon after 08:30 the first ones go.
 * (Workers run the same function from the 5-minute cron trigger.)
 */
export function startReminderScheduler(s: Services, cronExpr: string, settings: ReminderSettings): () => void {
  const job = new Cron(cronExpr, { timezone: settings.tz, protect: true }, async () => {
    try {
      await enqueueReminders(s, s.clock.now(), settings);
    } catch (err) {
      s.log.error("reminders failed", { error: String(err) });
    }
  });
  s.log.info("reminders scheduled", { cron: cronExpr, tz: settings.tz, hours: settings.hours, next: job.nextRun()?.toISOString() });
  return () => job.stop();
}
