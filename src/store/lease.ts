import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { Logger } from "../events/types.js";
import type { Database } from "./schema.js";

/**
 * Takes or renews the lease `name` for `holder` until now + ttl, in one statement: the row is written only when it
 * is free, already ours, or expired. True when `holder` holds it afterwards. Works on SQLite and PostgreSQL alike.
 */
export async function holdLease(db: Kysely<Database>, name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
  const won = await db
    .insertInto("leases")
    .values({ name, holder, expires_at: now + ttlMs })
    .onConflict((oc) =>
      oc
        .column("name")
        .doUpdateSet({ holder, expires_at: now + ttlMs })
        .where((eb) => eb.or([eb("leases.holder", "=", holder), eb("leases.expires_at", "<", now)])),
    )
    .returning("holder")
    .executeTakeFirst();
  return won?.holder === holder;
}

/** Gives the lease up at once (a clean shutdown), so another instance need not wait for it to expire. */
export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom("leases").where("name", "=", name).where("holder", "=", holder).execute();
}

/**
 * Keeps trying to hold `name`, renewing three times per lease period. `held()` asks the database there and then, so
 * a job never runs on the strength of a renewal that has since expired (e.g. after a long pause of this process).
 */
export function keepLease(o: { db: Kysely<Database>; clock: Clock; log: Logger; name: string; holder: string; ttlMs: number }) {
  let mine = false;
  const renew = async () => {
    try {
      const now = await holdLease(o.db, o.name, o.holder, o.clock.now().getTime(), o.ttlMs);
      if (now !== mine) o.log.info(now ? "lease taken" : "lease lost", { lease: o.name, holder: o.holder });
      mine = now;
    } catch (err) {
      mine = false;
      o.log.warn("lease renewal failed", { lease: o.name, error: String(err) });
    }
    return mine;
  };
  void renew();
  const timer = setInterval(() => void renew(), Math.max(50, Math.floor(o.ttlMs / 3)));
  timer.unref();
  return {
    held: renew,
    async stop() {
      clearInterval(timer);
      if (mine) await releaseLease(o.db, o.name, o.holder).catch(() => {});
      mine = false;
    },
  };
}
