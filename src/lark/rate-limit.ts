import { sql, type Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { Database } from "../store/schema.js";

/** Waits until one more send to `target` fits Lark's limits, and counts it. */
export interface Pacer {
  acquire(target: string): Promise<void>;
}

/** Lark's documented send limits (per app, shared by every instance of the bot; per chat or user). */
export const LARK_LIMITS = { perApp: 50, perAppMinute: 1000, perTarget: 5 };

/**
 * Lark's send limits: per app 50 requests/s and 1,000/min, and 5/s per chat or user (shared by all bots in a
 * group). Sliding windows per key; `acquire` waits (through the injected sleep) until every window has room.
 */
export class RateLimiter implements Pacer {
  private readonly windows = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly perApp = LARK_LIMITS.perApp,
    private readonly perTarget = LARK_LIMITS.perTarget,
    private readonly perAppMinute = LARK_LIMITS.perAppMinute,
  ) {}

  private rules(target: string): [string, number, number][] {
    return [["app", this.perApp, 1000], ["app-minute", this.perAppMinute, 60_000], [`t:${target}`, this.perTarget, 1000]];
  }

  /** How long to wait before one more request to `target` fits; 0 = now. */
  waitFor(target: string): number {
    const now = this.clock.now().getTime();
    let wait = 0;
    for (const [key, limit, span] of this.rules(target)) {
      const w = (this.windows.get(key) ?? []).filter((t) => t > now - span);
      this.windows.set(key, w);
      if (w.length >= limit) wait = Math.max(wait, w[w.length - limit]! + span - now);
    }
    return wait;
  }

  async acquire(target: string): Promise<void> {
    for (let ms = this.waitFor(target); ms > 0; ms = this.waitFor(target)) await this.sleep(ms);
    const now = this.clock.now().getTime();
    for (const [key] of this.rules(target)) this.windows.get(key)!.push(now);
  }
}

/** Any number above this lock id's neighbours: the pacing lock of all instances on one PostgreSQL database. */
const PACING_LOCK = 7_314_202_612;
const LONGEST_WINDOW_MS = 60_000;

/**
 * The same sliding windows as RateLimiter, kept in the database (table send_pacing) so that N instances on one
 * PostgreSQL stay together under the app's limits instead of each using all of them. One short transaction per
 * send, serialised by a transaction-level advisory lock: count what each window holds, and either record the
 * send or learn how long to wait (the wait is slept outside the transaction, holding nothing). Instances compare
 * their own clocks' milliseconds, so they need synchronised clocks — they already do for Lark's signed timestamps.
 */
export class SharedRateLimiter implements Pacer {
  private sincePrune = Number.POSITIVE_INFINITY;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly limits = LARK_LIMITS,
  ) {}

  async acquire(target: string): Promise<void> {
    for (let ms = await this.take(target); ms > 0; ms = await this.take(target)) await this.sleep(ms);
  }

  /** Records one send to `target` and returns 0 when every window has room; otherwise how long until one has. */
  take(target: string): Promise<number> {
    const rules: [string, number, number][] = [
      ["app", this.limits.perApp, 1000],
      ["app", this.limits.perAppMinute, 60_000],
      [`t:${target}`, this.limits.perTarget, 1000],
    ];
    return this.db.transaction().execute(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(${PACING_LOCK})`.execute(tx);
      const now = this.clock.now().getTime();
      let wait = 0;
      for (const [key, limit, span] of rules) {
        // The limit-th most recent send in the window: once it leaves the window there is room for one more.
        const oldest = await tx
          .selectFrom("send_pacing")
          .select("at")
          .where("key", "=", key)
          .where("at", ">", now - span)
          .orderBy("at", "desc")
          .limit(1)
          .offset(limit - 1)
          .executeTakeFirst();
        if (oldest) wait = Math.max(wait, Number(oldest.at) + span - now);
      }
      if (wait > 0) return wait;
      await tx.insertInto("send_pacing").values([{ key: "app", at: now }, { key: `t:${target}`, at: now }]).execute();
      // Rows past the longest window count for nothing; clearing them now and then keeps the table a few
      // thousand rows at most.
      if (++this.sincePrune > 200) {
        this.sincePrune = 0;
        await tx.deleteFrom("send_pacing").where("at", "<=", now - LONGEST_WINDOW_MS).execute();
      }
      return 0;
    });
  }
}
