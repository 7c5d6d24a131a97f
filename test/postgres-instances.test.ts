import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noticeCard } from "../cards/notice.js";
import { fixedClock, systemClock } from "../src/clock.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
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

describe("one chat's messages, delivered by two instances", () => {
  const quiet = { info() {}, warn() {}, error() {} };
  const noPacing = { acquire: async () => {} };
  const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const text = (row: { payload: string }) => (JSON.parse(row.payload) as { card: { body: { elements: { content?: string }[] } } }).card.body.elements.map((e) => e.content ?? "").join("");

  it("while one instance is still sending a chat's earlier message, the other leaves that chat's later ones alone", async () => {
    const url = await server.createDatabase("order_gate");
    const storeA = await openStore({ databaseUrl: url, databasePath: "" });
    const storeB = await openStore({ databaseUrl: url, databasePath: "" });
    try {
      const messenger = new OutboxMessenger(storeA.db, systemClock);
      for (let i = 1; i <= 6; i++) await messenger.sendToChat("oc_order", noticeCard("通知", `第 ${i} 条`));
      for (let i = 1; i <= 2; i++) await messenger.sendToChat("oc_other", noticeCard("通知", `另一群第 ${i} 条`));
      const arrived: { chat: string; id: number; by: string }[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let stuck!: () => void;
      const aStuck = new Promise<void>((r) => (stuck = r));
      // A claims the first three messages to oc_order and is slow to hear back about the first (a slow network).
      const a = createOutboxWorker({ db: storeA.db, clock: systemClock, sleep: realSleep, log: quiet, pacer: noPacing, serializeClaims: true, batchSize: 3, send: async (row) => {
        if (arrived.length === 0) (stuck(), await gate);
        arrived.push({ chat: row.target, id: row.id, by: "A" });
        return null;
      } });
      const b = createOutboxWorker({ db: storeB.db, clock: systemClock, sleep: realSleep, log: quiet, pacer: noPacing, serializeClaims: true, send: async (row) => (arrived.push({ chat: row.target, id: row.id, by: "B" }), null) });
      const draining = a.drainOnce();
      await aStuck;
      await b.drainOnce();
      // B delivered the other chat, and nothing to oc_order: its messages 4–6 would have arrived before 1–3.
      expect(arrived.map((r) => r.chat)).toEqual(["oc_other", "oc_other"]);
      const waiting = await storeB.db.selectFrom("outbox").select(["payload", "status"]).where("target", "=", "oc_order").orderBy("id").execute();
      expect(waiting.map((r) => r.status)).toEqual(["sending", "sending", "sending", "pending", "pending", "pending"]);
      release();
      await draining;
      await b.drainOnce();
      const rows = await storeB.db.selectFrom("outbox").select(["id", "payload", "status"]).where("target", "=", "oc_order").orderBy("id").execute();
      expect(rows.every((r) => r.status === "sent")).toBe(true);
      // What the chat shows, top to bottom.
      const byId = new Map(rows.map((r) => [r.id, text(r)]));
      expect(arrived.filter((r) => r.chat === "oc_order").map((r) => byId.get(r.id)!.match(/第 \d 条/)![0])).toEqual(["第 1 条", "第 2 条", "第 3 条", "第 4 条", "第 5 条", "第 6 条"]);
    } finally {
      await storeA.close();
      await storeB.close();
    }
  });

  it("under load from both instances, every chat gets its messages once, in the order they were queued, never two at a time", async () => {
    const url = await server.createDatabase("order_load");
    const stores = [await openStore({ databaseUrl: url, databasePath: "" }), await openStore({ databaseUrl: url, databasePath: "" })];
    try {
      const messenger = new OutboxMessenger(stores[0]!.db, systemClock);
      const log: { chat: string; id: number; start: number; end: number }[] = [];
      let clockTick = 0;
      const workers = stores.map((s) =>
        createOutboxWorker({ db: s.db, clock: systemClock, sleep: realSleep, log: quiet, pacer: noPacing, serializeClaims: true, batchSize: 4, concurrency: 3, send: async (row) => {
          const start = ++clockTick;
          // Uneven network: some sends take a few milliseconds, so the instances overlap in every way.
          await realSleep(row.id % 3 === 0 ? 4 : 0);
          log.push({ chat: row.target, id: row.id, start, end: ++clockTick });
          return null;
        } }),
      );
      const chats = Array.from({ length: 6 }, (_, i) => `oc_load_${i}`);
      let queued = 0;
      // Messages keep arriving while both instances deliver, as answers do while a digest goes out.
      const producer = (async () => {
        for (let wave = 0; wave < 10; wave++) {
          for (let k = 0; k < 12; k++) await messenger.sendToChat(chats[(wave * 5 + k) % chats.length]!, noticeCard("通知", `${wave}-${k}`), {}), queued++;
          await realSleep(5);
        }
      })();
      let producing = true;
      void producer.finally(() => (producing = false));
      await Promise.all(workers.map(async (w) => {
        while (producing || (await stores[0]!.db.selectFrom("outbox").select("id").where("status", "<>", "sent").execute()).length > 0) {
          await w.drainOnce();
          await realSleep(1);
        }
      }));
      expect(log).toHaveLength(queued);
      expect(new Set(log.map((r) => r.id)).size).toBe(queued);
      for (const chat of chats) {
        const sends = log.filter((r) => r.chat === chat).sort((x, y) => x.start - y.start);
        expect(sends.map((r) => r.id)).toEqual(sends.map((r) => r.id).sort((x, y) => x - y));
        for (let i = 1; i < sends.length; i++) expect(sends[i]!.start).toBeGreaterThan(sends[i - 1]!.end);
      }
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
