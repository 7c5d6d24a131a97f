import { serve, type ServerType } from "@hono/node-server";
import type { Context } from "hono";
import type { Transaction } from "kysely";
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { botAdded, cardActions, commands } from "../../commands/index.js";
import { createApp } from "../app.js";
import { systemClock, type Clock } from "../clock.js";
import { listenHost, loadConfig, loopSettingsOf, reminderSettingsOf, type AppConfig } from "../config.js";
import { startDigestScheduler } from "../digest/scheduler.js";
import { startReminderScheduler } from "../reminders/scheduler.js";
import { resumeUnfinished } from "../events/dispatch.js";
import { pruneProcessedEvents } from "../events/inbox.js";
import type { CardActionDef, CommandDef, Logger, Services } from "../events/types.js";
import { createLarkClient, deliver, LarkDirectory, LarkFiles, noDirectory } from "../lark/client.js";
import { LocalFiles, localUploadsDir } from "../local/files.js";
import { localDeliveryLine, OutboxMessenger, pruneSentOutbox, SENT_OUTBOX_RETENTION_DAYS, type OutboxPayload } from "../lark/outbox.js";
import { createOutboxWorker, type OutboxWorker } from "../lark/outbox-worker.js";
import { SharedRateLimiter } from "../lark/rate-limit.js";
import { createLogger, createPlainLogger } from "../log.js";
import { keepLease } from "../store/lease.js";
import { openStore, type Store } from "../store/open.js";
import { transactionsTogether } from "../store/transactions-together.js";
import type { Database } from "../store/schema.js";
import { defaultDatabasePath } from "../store/sqlite.js";
import { seedStore, type SeedCounts } from "./seed.js";
import { createWorkQueue } from "./work-queue.js";
import { createAdmission } from "../events/admission.js";
import { errorLogFields } from "../lark/errors.js";
import { createReadPool, defaultReadWorkers, readPoolConcurrency, type ReadPool, type ReadPoolOptions } from "./read-pool.js";

export interface RuntimeOptions {
  env?: Record<string, string | undefined>;
  databasePath?: string;
  /** postgres://… selects PostgreSQL (several instances may share it); otherwise SQLite at databasePath. */
  databaseUrl?: string;
  port?: number;
  host?: string;
  clock?: Clock;
  log?: Logger;
  seedsDir?: string | null;
  /** Seed the demo accounts (ou_demo_admin, one per unit, the demo supervisor chat); default: local mode only. */
  demoRoster?: boolean;
  commands?: CommandDef[];
  cardActions?: CardActionDef[];
  /** Start croner for the weekly digest (npm start does; tests usually do not). */
  scheduler?: boolean;
  sleep?: (ms: number) => Promise<void>;
  outboxPollMs?: number;
  /**
   * Jobs after the answer running at once, how many may wait, and the longest estimated wait (ms) for a new job
   * before the webhook sheds load with 503 (src/node/work-queue.ts), and how long after its arrival an event may wait
   * for room first; `workNow` is the clock the queue measures job costs with (tests pass a virtual one). Concurrency
   * by default: 4, or readPoolConcurrency() with read workers.
   */
  workConcurrency?: number;
  workCapacity?: number;
  workWaitBudgetMs?: number;
  workHoldMs?: number;
  workNow?: () => number;
  /** Card callbacks handled at once, and how many may wait for a turn before being answered "busy, tap again". */
  cardConcurrency?: number;
  cardCapacity?: number;
  /** One transaction (one commit) per event; false commits each statement on its own (for the commits benchmark). */
  eventTransactions?: boolean;
  /** How often a running instance prunes processed_events and delivered outbox rows (default hourly; tests shorten it). */
  pruneEveryMs?: number;
  /**
   * Worker threads reading and building read-only commands' answers (src/node/read-pool.ts); 0 = none. Default:
   * READ_WORKERS, else defaultReadWorkers() (one per core beyond the first, at most four); none where the pool cannot serve — PostgreSQL, an
   * in-memory store, commands other than the bot's own, an injected clock (the workers read the system's time through
   * the instant passed to them, but a test's clock object stays here), events committed statement by statement.
   */
  readWorkers?: number;
  /** Test seams of the read pool: its job timeout, a hook after each job is posted, workers that hang. */
  readPool?: Pick<ReadPoolOptions, "timeoutMs" | "onPosted" | "stallMs">;
  /** HTTP timeouts of the Node server (tests shorten them); defaults in `HTTP_TIMEOUTS`. */
  timeouts?: Partial<typeof HTTP_TIMEOUTS>;
}

/**
 * A client that sends its headers or body a byte at a time must not hold a connection for ever (slowloris). Lark's
 * own requests are small and finish in well under a second.
 */
export const HTTP_TIMEOUTS = {
  /** Whole request, headers and body. */
  requestMs: 30_000,
  /** Headers only. */
  headersMs: 10_000,
  /** Idle keep-alive connections. */
  keepAliveMs: 5_000,
  /** How often Node checks the two timeouts above (Node's default is 30 s). */
  checkIntervalMs: 1_000,
};

export interface Runtime {
  url: string;
  port: number;
  config: AppConfig;
  store: Store;
  services: Services;
  worker: OutboxWorker | null;
  /** The read workers, when running (see RuntimeOptions.readWorkers). */
  readPool: ReadPool | null;
  seeded: SeedCounts | null;
  /** This process among the instances sharing one database (holder of the scheduler lease). */
  instanceId: string;
  /** Resolves when the work queued after HTTP answers has finished (tests wait on it). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Node wiring: config → SQLite → seeds → services → Hono on loopback → outbox worker → digest scheduler. */
export async function startRuntime(o: RuntimeOptions = {}): Promise<Runtime> {
  const env = o.env ?? process.env;
  const config = loadConfig(env);
  const instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const clock = o.clock ?? systemClock;
  const secrets = config.lark ? [config.lark.LARK_APP_SECRET, config.lark.LARK_VERIFICATION_TOKEN, config.lark.LARK_ENCRYPT_KEY ?? ""] : [];
  const log = o.log ?? (config.mode === "local" ? createPlainLogger() : createLogger(secrets));
  const databasePath = o.databasePath ?? env["DATABASE_PATH"] ?? defaultDatabasePath();
  const store = await openStore({ databaseUrl: o.databaseUrl ?? env["DATABASE_URL"], databasePath, serve: true });
  const demoRoster = o.demoRoster ?? config.mode === "local";
  const seeded = o.seedsDir === null ? null : await seedStore(store.db, o.seedsDir ?? join(process.cwd(), "seeds"), clock, { demoRoster });
  if (config.mode === "lark" && config.unsigned) {
    log.warn("LARK_ALLOW_UNSIGNED=1：未设置 LARK_ENCRYPT_KEY，不校验签名，只接受本机回环地址的请求。Requests are not signature-checked; loopback peers only.");
  }

  let worker: OutboxWorker | null = null;
  const client = config.lark ? createLarkClient(config.lark, log) : null;
  const messenger = new OutboxMessenger(store.db, clock, {
    deliveredImmediately: config.mode === "local",
    onEnqueue: () => void worker?.kick(),
    log,
  });
  const services: Services = {
    db: store.db,
    acks: store.acks,
    clock,
    messenger,
    directory: client ? new LarkDirectory(client, log) : noDirectory,
    // Local mode: `npm run chat -- --file` leaves the file beside the database, where the bot reads it.
    files: client ? new LarkFiles(client, log) : new LocalFiles(localUploadsDir(o.databasePath ?? env["DATABASE_PATH"] ?? defaultDatabasePath())),
    // Loaded on the first file: the PDF and Office readers would slow every start-up.
    readPlan: async (bytes, fileName) => (await import("../intake/read.js")).readPlanSource(bytes, fileName),
    log,
    adminOpenIds: config.mode === "local" ? [...config.adminOpenIds, "ou_demo_admin"] : config.adminOpenIds,
    loop: loopSettingsOf(config),
  };
  if (o.eventTransactions !== false) {
    // SQLite: the events of one turn share a transaction (a savepoint each) and its commit. PostgreSQL runs them on
    // connections of their own, side by side.
    const inTransaction = store.dialect === "sqlite" ? transactionsTogether(store.db) : <T>(work: (trx: Transaction<Database>) => Promise<T>) => store.db.transaction().execute(work);
    services.transaction = async (work) => {
      let committed = () => {};
      const result = await inTransaction((trx) => {
        const outbox = messenger.within(trx);
        committed = outbox.committed;
        // Inside, every statement goes through trx: one through the store would wait for the connection trx holds.
        const { transaction: _nested, acks: _outside, ...rest } = services;
        return work({ ...rest, db: trx, messenger: outbox.messenger });
      });
      committed();
      return result;
    };
  }
  // Read-only commands read and build their answers on worker threads, each with its own connection to the file.
  const readWorkers = o.readWorkers ?? (o.clock ? 0 : (config.READ_WORKERS ?? defaultReadWorkers()));
  const poolServes = store.dialect === "sqlite" && databasePath !== ":memory:" && !o.commands && o.eventTransactions !== false;
  const readPool = poolServes && readWorkers > 0 ? createReadPool({ databasePath, size: readWorkers, adminOpenIds: services.adminOpenIds, ...(services.loop ? { loop: services.loop } : {}), log, ...o.readPool }) : null;
  if (readPool) {
    services.readElsewhere = (job) => readPool.run(job);
    void readPool.ready().then(() => log.info(`读取线程已就绪 read workers ready: ${readWorkers}`));
  }
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  if (client) {
    // Instances sharing PostgreSQL share Lark's per-app limits too, so they pace their sends in the database.
    const pacer = store.dialect === "postgres" ? new SharedRateLimiter(store.db, clock, sleep) : undefined;
    worker = createOutboxWorker({ db: store.db, clock, sleep, log, send: (row) => deliver(client, row), leaseMs: config.OUTBOX_LEASE_SECONDS * 1000, serializeClaims: store.dialect === "postgres", ...(pacer ? { pacer } : {}) });
    await worker.start(o.outboxPollMs ?? 1000, { soleInstance: store.dialect === "sqlite" });
  } else if (config.mode === "local") {
    // The bot's own answers are delivered as they are queued; rows another process queued on this database
    // (`npm run digest`, `npm run roster`) would otherwise stay pending forever. They go to the same terminal log,
    // unpaced (no platform to protect), each with a stand-in message id so a later 加急 finds the message it follows.
    worker = createOutboxWorker({
      db: store.db,
      clock,
      sleep,
      log,
      pacer: { acquire: async () => {} },
      send: async (row) => {
        log.info(localDeliveryLine(row.kind, row.target, JSON.parse(row.payload) as OutboxPayload));
        return `om_local_${row.id}`;
      },
    });
    await worker.start(o.outboxPollMs ?? 1000, { soleInstance: store.dialect === "sqlite" });
  }

  const queue = createWorkQueue({
    concurrency: o.workConcurrency ?? (readPool ? readPoolConcurrency(readWorkers) : undefined),
    capacity: o.workCapacity,
    waitBudgetMs: o.workWaitBudgetMs ?? config.WORK_WAIT_BUDGET_SECONDS * 1000,
    holdMs: o.workHoldMs,
    now: o.workNow,
    onError: (err) => log.error("background work failed", { ...errorLogFields(err) }),
  });
  const runLater = (_c: Context | null, work: () => Promise<void>, kind?: string) => queue.push(work, kind);
  const idle = () => queue.idle();
  const registry = { commands: o.commands ?? commands, cardActions: o.cardActions ?? cardActions, botAdded };
  const app = createApp({
    services,
    registry,
    config,
    runLater,
    admit: (alreadyWaitedMs) => queue.admit(alreadyWaitedMs),
    cardAdmission: createAdmission({ concurrency: o.cardConcurrency, capacity: o.cardCapacity }),
    remoteAddress: (c) => nodeEnv(c)?.incoming.socket?.remoteAddress ?? null,
    closeAfterResponse: (c) => {
      const env = nodeEnv(c);
      env?.outgoing.once("finish", () => env.incoming.socket?.destroy());
    },
  });

  // De-duplication rows past the replay window and delivered outbox rows past their retention: at start-up, then hourly.
  const prune = () =>
    Promise.all([
      pruneProcessedEvents(store.db, new Date(clock.now().getTime() - config.REPLAY_WINDOW_SECONDS * 1000)),
      pruneSentOutbox(store.db, new Date(clock.now().getTime() - SENT_OUTBOX_RETENTION_DAYS * 86_400_000)),
    ]).catch((err) => log.error("pruning processed_events/outbox failed", { ...errorLogFields(err) }));
  await prune();
  const pruneTimer = setInterval(() => void prune(), o.pruneEveryMs ?? 3600_000);
  pruneTimer.unref();
  // Events answered before a crash but not finished: run them now.
  await resumeUnfinished(services, registry, (work) => runLater(null, work), clock.now());

  const t = { ...HTTP_TIMEOUTS, ...o.timeouts };
  const host = o.host ?? listenHost(config);
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve(
        {
          fetch: app.fetch,
          port: o.port ?? config.PORT,
          hostname: host,
          serverOptions: { requestTimeout: t.requestMs, headersTimeout: t.headersMs, keepAliveTimeout: t.keepAliveMs, connectionsCheckingInterval: t.checkIntervalMs },
        },
        () => resolve(s),
      );
      // Without this listener a busy port is an unhandled 'error' event and a raw stack trace.
      s.once("error", reject);
    });
  } catch (err) {
    await idle();
    await readPool?.close();
    await worker?.stop();
    await store.close();
    throw err;
  }
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : (o.port ?? config.PORT);
  // Every instance runs croner; the one holding the scheduler lease does the work, and when it dies another takes
  // the lease over once it has lapsed (outbox keys keep a digest once per chat and week even across a hand-over).
  const lease = o.scheduler ? keepLease({ db: store.db, clock, log, name: "scheduler", holder: instanceId, ttlMs: config.SCHEDULER_LEASE_SECONDS * 1000 }) : null;
  const mayRun = () => lease?.held() ?? Promise.resolve(false);
  const stopDigest = o.scheduler ? startDigestScheduler(services, config.DIGEST_CRON, config.DIGEST_TZ, mayRun) : () => {};
  const stopReminders = o.scheduler ? startReminderScheduler(services, config.REMINDER_CRON, reminderSettingsOf(config), mayRun) : () => {};
  const stopScheduler = async () => {
    stopDigest();
    stopReminders();
    await lease?.stop();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    store,
    services,
    worker,
    readPool,
    seeded,
    idle,
    instanceId,
    async close() {
      await stopScheduler();
      clearInterval(pruneTimer);
      await new Promise<void>((r) => server.close(() => r()));
      await idle();
      await readPool?.close();
      // Send what the finished work queued before stopping; rows still pending are sent after the next start.
      await worker?.kick();
      await worker?.stop();
      await store.close();
    },
  };
}

/** The Node request/response behind a Hono context (@hono/node-server passes them as the env). */
function nodeEnv(c: Context): { incoming: IncomingMessage; outgoing: ServerResponse } | null {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  return env?.incoming && env.outgoing ? { incoming: env.incoming, outgoing: env.outgoing } : null;
}
