import { botAdded, cardActions, commands } from "../commands/index.js";
import { createApp } from "../src/app.js";
import { resumeUnfinished } from "../src/events/dispatch.js";
import { pruneProcessedEvents } from "../src/events/inbox.js";
import { systemClock } from "../src/clock.js";
import { ConfigError, loadConfig, loopSettingsOf, reminderSettingsOf } from "../src/config.js";
import { enqueueWeeklyDigests } from "../src/digest/send.js";
import { enqueueReminders } from "../src/reminders/send.js";
import type { Services } from "../src/events/types.js";
import { createLarkClient, deliver, LarkDirectory, noDirectory } from "../src/lark/client.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
import { createLogger } from "../src/log.js";
import { openD1 } from "../src/store/d1.js";
import { errorLogFields } from "../src/lark/errors.js";

/** Must match the first cron in wrangler.toml; the other trigger only sweeps the outbox. */
const DIGEST_CRON = "0 1 * * MON";

interface Env {
  DB: D1Database;
  [k: string]: unknown;
}

/**
 * Per-invocation wiring: D1 through Kysely, the Lark client, and an outbox worker that delivers what this request
 * queued inside waitUntil (Workers keep the isolate alive ~30 s after the answer). Rows it cannot finish stay
 * pending and are picked up by the next request or the cron sweep.
 */
// One wiring per isolate and env: a fresh Lark client per request would fetch a tenant token every time.
const wired = new WeakMap<Env, ReturnType<typeof build>>();
function wire(env: Env) {
  let w = wired.get(env);
  if (!w) wired.set(env, (w = build(env)));
  return w;
}

/**
 * A deployed Worker is reachable by anyone, so it never runs local mode, and one deployed before its secrets are set
 * answers 503 with what to configure instead of falling back to anything.
 */
function unconfigured(env: Env): string | null {
  try {
    const config = loadConfig(stringVars(env));
    if (config.mode === "local") return "Workers 上不提供本地模式（DUBAN_LOCAL）。Local mode is not available on Workers.";
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

const stringVars = (env: Env) => Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string")) as Record<string, string>;

function build(env: Env) {
  const config = loadConfig(stringVars(env));
  const log = createLogger(config.lark ? [config.lark.LARK_APP_SECRET, config.lark.LARK_VERIFICATION_TOKEN, config.lark.LARK_ENCRYPT_KEY ?? ""] : []);
  const db = openD1(env.DB);
  const client = config.lark ? createLarkClient(config.lark, log) : null;
  const messenger = new OutboxMessenger(db, systemClock, { deliveredImmediately: !client });
  const services: Services = { db, clock: systemClock, messenger, directory: client ? new LarkDirectory(client, log) : noDirectory, log, adminOpenIds: config.adminOpenIds, loop: loopSettingsOf(config) };
  const outbox = client
    ? createOutboxWorker({ db, clock: systemClock, log, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), send: (row) => deliver(client, row) })
    : null;
  return { config, services, outbox };
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const problem = unconfigured(env);
    if (problem) return Response.json({ error: `督办助手尚未配置 not configured: ${problem}` }, { status: 503 });
    const { config, services, outbox } = wire(env);
    const app = createApp({
      services,
      registry: { commands, cardActions, botAdded },
      config,
      runLater: (_c, work) => ctx.waitUntil(work().then(() => outbox?.drainOnce()).catch((err) => services.log.error("background work failed", { ...errorLogFields(err) }))),
      // Workers expose no peer address of their own (CF-Connecting-IP is a header a client can send too): unknown,
      // so the loopback-only modes (local, LARK_ALLOW_UNSIGNED) refuse every request here.
      remoteAddress: () => null,
    });
    const res = await app.fetch(request, env, ctx);
    // Card callbacks may queue sends (e.g. telling the lead unit): deliver them after the answer too.
    if (outbox) ctx.waitUntil(outbox.drainOnce().catch(() => {}));
    return res;
  },

  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const problem = unconfigured(env);
    if (problem) {
      console.error(`督办助手尚未配置 not configured: ${problem}`);
      return;
    }
    const { config, services, outbox } = wire(env);
    ctx.waitUntil(
      (async () => {
        if (controller.cron === DIGEST_CRON) {
          const r = await enqueueWeeklyDigests(services, new Date(controller.scheduledTime));
          services.log.info("scheduled digest", { cron: controller.cron, ...r });
        }
        // Reminders ride on the 5-minute sweep every half hour (not on the digest trigger, which fires at the same
        // minute on Mondays); they keep quiet outside working hours themselves.
        if (controller.cron !== DIGEST_CRON && new Date(controller.scheduledTime).getUTCMinutes() % 30 === 0) {
          await enqueueReminders(services, new Date(controller.scheduledTime), reminderSettingsOf(config));
        }
        // Messages whose waitUntil was cut off (30 s) before they finished: run them from the inbox.
        const work: Promise<void>[] = [];
        await resumeUnfinished(services, { commands, cardActions }, (w) => void work.push(w()), new Date(controller.scheduledTime - 60_000));
        await Promise.all(work);
        // Rows an isolate claimed and never finished (it was evicted mid-send) go back to pending after the lease.
        await outbox?.reclaimExpired();
        await outbox?.drainOnce();
        await pruneProcessedEvents(services.db, new Date(controller.scheduledTime - config.REPLAY_WINDOW_SECONDS * 1000));
      })(),
    );
  },
};
