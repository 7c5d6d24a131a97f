import { Cron } from "croner";
import type { Services } from "../events/types.js";
import { enqueueWeeklyDigests } from "./send.js";
import { errorLogFields } from "../lark/errors.js";

/**
 * Node: croner in the process, in the plan's time zone. (Workers use a UTC cron trigger calling the same function.)
 * `mayRun`: several instances each run croner, and only the one holding the scheduler lease does the work.
 */
export function startDigestScheduler(s: Services, cronExpr = "0 9 * * MON", tz = "Asia/Shanghai", mayRun: () => Promise<boolean> = async () => true): () => void {
  const job = new Cron(cronExpr, { timezone: tz, protect: true }, async () => {
    try {
      if (!(await mayRun())) return;
      await enqueueWeeklyDigests(s, s.clock.now());
    } catch (err) {
      s.log.error("weekly digest failed", { ...errorLogFields(err) });
    }
  });
  s.log.info("digest scheduled", { cron: cronExpr, tz, next: job.nextRun()?.toISOString() });
  return () => job.stop();
}
