import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noticeCard } from "../cards/notice.js";
import { fixedClock } from "../src/clock.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { holdLease } from "../src/store/lease.js";
import { openStore } from "../src/store/open.js";
import { larkEnv, startTestServer } from "./support/events.js";
import { startOpenPlatform } from "./support/open-platform.js";
import { startPostgres, type TestPostgres } from "./support/postgres.js";

/** Instances that die: the scheduler lease and claimed outbox rows move to a survivor (real PostgreSQL server). */
let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the scheduler lease", () => {
  it("is held by one instance at a time, renewed by its holder, and taken over only once it has lapsed", async () => {
    const store = await openStore({ databaseUrl: await server.createDatabase("lease_unit"), databasePath: "" });
    const clock = fixedClock("2026-11-30T01:00:00Z");
    const at = () => clock.now().getTime();
    try {
      expect(await holdLease(store.db, "scheduler", "a", at(), 60_000)).toBe(true);
      expect(await holdLease(store.db, "scheduler", "b", at(), 60_000)).toBe(false);
      clock.advance(50_000);
      expect(await holdLease(store.db, "scheduler", "a", at(), 60_000)).toBe(true); // renewed to 01:01:50
      clock.advance(50_000);
      expect(await holdLease(store.db, "scheduler", "b", at(), 60_000)).toBe(false);
      clock.advance(20_000); // a stopped renewing: lapsed
      expect(await holdLease(store.db, "scheduler", "b", at(), 60_000)).toBe(true);
      expect(await holdLease(store.db, "scheduler", "a", at(), 60_000)).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe("an instance SIGKILLed while it holds claimed outbox rows", () => {
  it("the survivor sends them after the lease, each message is delivered once, and the scheduler lease moves to it", async () => {
    const url = await server.createDatabase("crash");
    const store = await openStore({ databaseUrl: url, databasePath: "" });
    const lark = await startOpenPlatform();
    lark.dedupeByUuid = true;
    // A's sends reach the open platform and hang there; A dies before it hears back.
    lark.hold((r) => r.method === "POST" && r.path === "/open-apis/im/v1/messages");
    const leases = { OUTBOX_LEASE_SECONDS: "3", SCHEDULER_LEASE_SECONDS: "3" };
    const a = spawn(process.execPath, ["--import", "tsx", "test/support/instance.ts"], {
      env: { ...process.env, ...larkEnv(lark.url, leases), DATABASE_URL: url },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let b: Awaited<ReturnType<typeof startTestServer>> | null = null;
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: a.stdout! }).once("line", resolve);
        a.once("exit", (code) => reject(new Error(`instance A exited with ${code}`)));
      });
      const idA = (JSON.parse(first) as { instanceId: string }).instanceId;
      const holder = async () => (await store.db.selectFrom("leases").select("holder").where("name", "=", "scheduler").executeTakeFirst())?.holder;
      await until("A to hold the scheduler lease", async () => (await holder()) === idA);

      // One commit, so A's poll sees all ten at once (queued one by one, a poll between inserts claims only some).
      await store.db.transaction().execute(async (trx) => {
        const messenger = new OutboxMessenger(trx, fixedClock(new Date().toISOString()));
        for (let i = 0; i < 10; i++) await messenger.sendToChat(`oc_crash_${i}`, noticeCard("通知", `第 ${i} 条`));
      });
      // A claims all ten (one batch) and has eight in flight (its concurrency); two wait behind them, claimed.
      await lark.waitForSends(8, 30_000);
      const claimed = await store.db.selectFrom("outbox").select(["id", "claimed_at"]).where("status", "=", "sending").execute();
      expect(claimed).toHaveLength(10);
      const lastClaim = Math.max(...claimed.map((r) => Date.parse(r.claimed_at!)));

      a.kill("SIGKILL");
      await new Promise((r) => (a.exitCode !== null || a.signalCode !== null ? r(null) : a.once("exit", r)));
      const killedAt = Date.now();
      // Lark processes what reached it even though the sender is gone.
      lark.release();

      b = await startTestServer({ env: larkEnv(lark.url, leases), seedsDir: null, databaseUrl: url, scheduler: true });
      const sentRows = await until("B to send every row", async () => {
        const rows = await store.db.selectFrom("outbox").select(["id", "status"]).execute();
        return rows.every((r) => r.status === "sent") && rows;
      });
      expect(sentRows).toHaveLength(10);
      await until("B to hold the scheduler lease", async () => (await holder()) === b!.instanceId);

      const byB = lark.sends().filter((r) => r.path === "/open-apis/im/v1/messages" && r.at >= killedAt);
      // B resent each of A's rows once, and only after A's claims had lapsed.
      expect(byB.map((r) => r.body.uuid).sort()).toEqual(sentRows.map((r) => `duban-${r.id}`).sort());
      expect(Math.min(...byB.map((r) => r.at))).toBeGreaterThanOrEqual(lastClaim + 3000);
      // Eight rows reached Lark twice (A's lost answers, B's resends) with the same uuid: one message each.
      expect(sentRows.map((r) => lark.created.get(`duban-${r.id}`))).toEqual(Array(10).fill(1));
    } finally {
      if (a.exitCode === null && a.signalCode === null) a.kill("SIGKILL");
      lark.release();
      await b?.close();
      await store.close();
      await lark.close();
    }
  });
});
