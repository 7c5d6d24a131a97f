import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { noticeCard } from "../cards/notice.js";
import { fixedClock } from "../src/clock.js";
import { localDate } from "../src/domain/period.js";
import { OutboxMessenger, pruneSentOutbox } from "../src/lark/outbox.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
import { createWorkQueue } from "../src/node/work-queue.js";
import { createAdmission } from "../src/events/admission.js";
import type { CardActionDef, CommandDef } from "../src/events/types.js";
import { openSqlite } from "../src/store/sqlite.js";
import { cardEvent, larkEnv, localEnv, messageEvent, signedRequest, startTestServer } from "./support/events.js";
import { startOpenPlatform } from "./support/open-platform.js";

const silent = { info() {}, warn() {}, error() {} };

describe("work after the answer", () => {
  it("lets other work run between queued jobs, so the server keeps accepting while a backlog drains", async () => {
    const q = createWorkQueue({ concurrency: 2 });
    const order: string[] = [];
    for (let i = 0; i < 50; i++) q.push(async () => void order.push(`job${i}`));
    // A macrotask queued after 50 instant jobs runs before the last of them: the queue yields between jobs
    // instead of running them back to back as microtasks.
    const tick = new Promise<void>((r) => setImmediate(() => (order.push("macrotask"), r())));
    await Promise.all([tick, q.idle()]);
    expect(order).toHaveLength(51);
    expect(order.indexOf("macrotask")).toBeLessThan(50);
  });

  it("refuses past its capacity and keeps going after a failing job", async () => {
    const errors: unknown[] = [];
    const q = createWorkQueue({ concurrency: 1, capacity: 3, onError: (e) => errors.push(e) });
    q.push(async () => {
      throw new Error("boom");
    });
    for (let i = 0; i < 3; i++) q.push(async () => {});
    expect(q.overloaded()).not.toBeNull();
    await q.idle();
    expect(q.overloaded()).toBeNull();
    expect(errors).toHaveLength(1);
  });

  it("refuses a job once the measured cost of the jobs ahead exceeds the wait budget, counting each kind at its own cost", async () => {
    let t = 0;
    const q = createWorkQueue({ concurrency: 1, waitBudgetMs: 2500, now: () => t });
    // One command measured at 1 s, one plan import at 60 s.
    q.push(async () => void (t += 1000), "command");
    await q.idle();
    q.push(async () => void (t += 60_000), "import");
    await q.idle();
    // Nothing queued: a new command starts at once, however slow the last import was.
    expect(q.estimatedWaitMs()).toBe(0);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const held = async () => {
      await gate;
      t += 1000;
    };
    const accepted: number[] = [];
    for (let i = 0; i < 6; i++) {
      if (q.overloaded()) break;
      q.push(held, "command");
      accepted.push(i);
    }
    // Each accepted while at most 2.5 s of measured work was ahead: 0, ½, 1½, 2½ s. The fifth would wait 3½ s
    // (one running, half done on average, and three queued) and is refused, told to come back in a second.
    expect(accepted).toEqual([0, 1, 2, 3]);
    expect(q.overloaded()).toEqual({ estimatedWaitMs: 3500, retryAfterSeconds: 1 });
    open();
    await q.idle();
    expect(q.overloaded()).toBeNull();
    // Time the event already spent before reaching the queue (a slow server reading it) counts against the budget.
    expect(q.overloaded(3000)).toEqual({ estimatedWaitMs: 3000, retryAfterSeconds: 1 });
  });

  it("holds an event that finds the queue full until a job finishes, lets held events in one per finished job in arrival order, and refuses one whose hold ran out", async () => {
    const q = createWorkQueue({ concurrency: 1, capacity: 1, holdMs: 10_000 });
    const gates: (() => void)[] = [];
    const gated = () => q.push(() => new Promise<void>((r) => gates.push(r)));
    gated(); // runs
    gated(); // waits: the queue is full
    await new Promise((r) => setImmediate(r));
    const admitted: string[] = [];
    const first = Promise.resolve(q.admit()).then((over) => void admitted.push(`first ${over === null}`));
    const second = Promise.resolve(q.admit()).then((over) => void admitted.push(`second ${over === null}`));
    expect(q.held()).toBe(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(admitted).toEqual([]);
    // The running job finishes: the waiting one starts, and that makes room for one held event, the first.
    gates.shift()!();
    await first;
    expect(admitted).toEqual(["first true"]);
    expect(q.held()).toBe(1);
    gated(); // the event let in is queued, so the queue is full again and the second stays held
    await new Promise((r) => setTimeout(r, 20));
    expect(admitted).toEqual(["first true"]);
    gates.shift()!();
    await second;
    expect(admitted).toEqual(["first true", "second true"]);
    while (gates.length > 0 || q.size() > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await q.idle();

    // Nothing finishes within the hold: refused when it runs out, with a Retry-After.
    const short = createWorkQueue({ concurrency: 1, capacity: 1, holdMs: 30 });
    const stuck: (() => void)[] = [];
    short.push(() => new Promise<void>((r) => stuck.push(r)));
    short.push(() => new Promise<void>((r) => stuck.push(r)));
    expect(await short.admit()).toMatchObject({ retryAfterSeconds: 1 });
    // Time already spent before asking counts: nothing left of the hold, so refused at once, without a promise.
    expect(short.admit(30)).toMatchObject({ retryAfterSeconds: 1 });
    expect(short.held()).toBe(0);
    while (stuck.length > 0 || short.size() > 0) {
      stuck.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
  });

  it("answers a request while a long command's queries are still running", async () => {
    const bot = await startTestServer({ env: { DUBAN_LOCAL: "1" }, seedsDir: null });
    try {
      let done = 0;
      let answeredAfter = -1;
      const job = (async () => {
        for (let i = 0; i < 400; i++) {
          await bot.store.db.selectFrom("units").select("id").limit(1).execute();
          done++;
        }
      })();
      const health = fetch(`${bot.url}/healthz`).then((r) => {
        answeredAfter = done;
        return r.status;
      });
      await Promise.all([job, health]);
      expect(await health).toBe(200);
      // Without yielding between queries the whole command would finish before the server read the request.
      expect(answeredAfter).toBeLessThan(400);
    } finally {
      await bot.close();
    }
  });

  it("acknowledges an event while a read-only command is still reading (no transaction held), then commits that command's answer with its done mark", async () => {
    let reads = 0;
    const reader: CommandDef = {
      name: "我的任务",
      summary: "reads for a while",
      readOnly: true,
      handle: async (ctx) => {
        if (ctx.message.messageId !== "om_1") return ctx.reply(noticeCard("我的任务", "快"));
        for (let i = 0; i < 2000; i++) {
          await ctx.db.selectFrom("units").select("id").limit(1).execute();
          reads++;
        }
        await ctx.reply(noticeCard("我的任务", "读完了"));
      },
    };
    const bot = await startTestServer({ env: localEnv, seedsDir: null, commands: [reader], cardActions: [] });
    try {
      expect((await bot.post(messageEvent({ text: "/我的任务", openId: "ou_a", eventId: "ev_1", messageId: "om_1" }))).status).toBe(200);
      while (reads === 0) await new Promise((r) => setImmediate(r));
      // The second event's inbox row is written and synced while the first command reads: it holds no transaction,
      // so SQLite's only connection is free between its statements.
      expect((await bot.post(messageEvent({ text: "/我的任务", openId: "ou_b", eventId: "ev_2", messageId: "om_2" }))).status).toBe(200);
      expect(reads).toBeLessThan(2000);
      await bot.idle();
      const replies = await bot.store.db.selectFrom("outbox").select("target").where("kind", "=", "reply").orderBy("target").execute();
      expect(replies.map((r) => r.target)).toEqual(["om_1", "om_2"]);
      const marks = await bot.store.db.selectFrom("processed_events").select(["key", "status"]).where("key", "like", "event:%").orderBy("key").execute();
      expect(marks).toEqual([{ key: "event:ev_1", status: "done" }, { key: "event:ev_2", status: "done" }]);
    } finally {
      await bot.close();
    }
  });

  it("answers 503 with Retry-After when the queue is full, and records nothing, so Lark's retry is handled later", async () => {
    const lark = await startOpenPlatform();
    const bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", workCapacity: 0 });
    try {
      const res = await fetch(`${bot.url}/webhook/event`, await signedRequest(messageEvent({ text: "/帮助", openId: "ou_someone" })));
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      const events = await bot.store.db.selectFrom("processed_events").select("key").execute();
      expect(events).toHaveLength(0);
    } finally {
      await bot.close();
      await lark.close();
    }
  });
});

describe("message events under overload", () => {
  it("refuses with 503 the events whose reply would wait past the budget, stores nothing for them, answers every accepted one, and handles a refused one when Lark delivers it again", async () => {
    // Plan imports are the slow jobs: a download and a parse, run outside the event's transaction (a held
    // transaction would stall every other statement, the acks' included). This one takes 1 s of virtual time, and
    // while `gate` is shut it cannot finish, so the backlog stays put.
    let t = 0;
    let gate: Promise<void> = Promise.resolve();
    const slowImport: CommandDef = {
      name: "导入",
      summary: "slow import",
      handle: async (ctx) => {
        await gate;
        t += 1000;
        await ctx.reply(noticeCard("导入", `好了 ${ctx.message.messageId}`));
      },
    };
    // No hold: an event that does not fit is refused at once (holding is the next test).
    const bot = await startTestServer({ env: localEnv, seedsDir: null, commands: [slowImport], cardActions: [], workConcurrency: 1, workWaitBudgetMs: 3000, workHoldMs: 0, workNow: () => t });
    const send = (n: number) => {
      const e = messageEvent({ text: "", openId: "ou_a", eventId: `ev_${n}`, messageId: `om_${n}` });
      Object.assign(e.event.message, { message_type: "file", content: JSON.stringify({ file_key: `file_${n}`, file_name: "计划.docx" }) });
      return bot.post(e);
    };
    const replies = async () => (await bot.store.db.selectFrom("outbox").select("target").where("kind", "=", "reply").execute()).map((r) => r.target).sort();
    try {
      // The first event measures what the command costs.
      expect((await send(0)).status).toBe(200);
      await bot.idle();
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      const status: Record<number, number> = {};
      const retryAfter: string[] = [];
      for (let n = 1; n <= 8; n++) {
        const res = await send(n);
        status[n] = res.status;
        if (res.status === 503) retryAfter.push(res.headers.get("retry-after") ?? "");
      }
      // Accepted while at most 3 s of work was ahead (0, ½, 1½, 2½ s); the other four would have waited 3½ s or more.
      expect(status).toEqual({ 1: 200, 2: 200, 3: 200, 4: 200, 5: 503, 6: 503, 7: 503, 8: 503 });
      expect(retryAfter.every((s) => Number(s) >= 1)).toBe(true);
      // Nothing of the refused events was kept: no de-duplication row (Lark's redelivery is handled as new), no reply.
      const keys = (await bot.store.db.selectFrom("processed_events").select("key").execute()).map((r) => r.key);
      for (let n = 5; n <= 8; n++) {
        expect(keys).not.toContain(`event:ev_${n}`);
        expect(keys).not.toContain(`message:om_${n}`);
      }
      open();
      await bot.idle();
      // Every accepted event got its reply, once.
      expect(await replies()).toEqual(["om_0", "om_1", "om_2", "om_3", "om_4"]);
      const done = await bot.store.db.selectFrom("processed_events").select(["key", "status"]).where("key", "like", "event:%").orderBy("key").execute();
      expect(done).toEqual([0, 1, 2, 3, 4].map((n) => ({ key: `event:ev_${n}`, status: "done" })));
      // The backlog has drained: Lark's retry of a refused event is accepted and answered.
      expect((await send(5)).status).toBe(200);
      await bot.idle();
      expect(await replies()).toEqual(["om_0", "om_1", "om_2", "om_3", "om_4", "om_5"]);
    } finally {
      await bot.close();
    }
  });
  it("holds an event that arrives while the queue is full and answers 200 when room is made within the hold, instead of sending it to Lark's retry 15 s later", async () => {
    let gate: Promise<void> = Promise.resolve();
    const slow: CommandDef = {
      name: "慢",
      summary: "waits for the test",
      // Read-only commands hold no transaction while they run, so the events after it are written meanwhile.
      readOnly: true,
      handle: async (ctx) => {
        await gate;
        await ctx.reply(noticeCard("慢", `好了 ${ctx.message.messageId}`));
      },
    };
    // One job at a time and one waiting: the third event finds the queue full.
    const bot = await startTestServer({ env: localEnv, seedsDir: null, commands: [slow], cardActions: [], workConcurrency: 1, workCapacity: 1, workHoldMs: 400 });
    const send = (n: number) => bot.post(messageEvent({ text: "/慢", openId: "ou_a", eventId: `ev_${n}`, messageId: `om_${n}` }));
    try {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      expect((await send(1)).status).toBe(200);
      expect((await send(2)).status).toBe(200);
      let third: number | undefined;
      const answered = send(3).then((r) => (third = r.status));
      await new Promise((r) => setTimeout(r, 100));
      // Held, not refused: no answer yet.
      expect(third).toBeUndefined();
      open();
      await answered;
      expect(third).toBe(200);
      await bot.idle();
      const replies = (await bot.store.db.selectFrom("outbox").select("target").where("kind", "=", "reply").orderBy("target").execute()).map((r) => r.target);
      expect(replies).toEqual(["om_1", "om_2", "om_3"]);

      // Nothing finishes within the hold: refused with 503 when it runs out, and nothing kept of it.
      gate = new Promise<void>((r) => (open = r));
      expect((await send(4)).status).toBe(200);
      expect((await send(5)).status).toBe(200);
      const refused = await send(6);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      const keys = (await bot.store.db.selectFrom("processed_events").select("key").execute()).map((r) => r.key);
      expect(keys).not.toContain("event:ev_6");
      open();
      await bot.idle();
    } finally {
      await bot.close();
    }
  });
});

describe("card callbacks under load", () => {
  it("answers a tap that cannot get a turn at once with a toast asking to tap again, stores nothing for it, and handles the next tap", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let start!: () => void;
    const started = new Promise<void>((r) => (start = r));
    const saved: string[] = [];
    const save: CardActionDef = {
      action: "save",
      handle: async (ctx) => {
        if (ctx.action.value["hold"]) {
          start();
          await held;
        }
        saved.push(String(ctx.action.value["n"]));
        return { toast: { type: "success", content: "已记录" } };
      },
    };
    // One handler at a time and nobody may wait: the second tap arrives while the first is still being handled.
    const bot = await startTestServer({ env: localEnv, seedsDir: null, commands: [], cardActions: [save], cardConcurrency: 1, cardCapacity: 0 });
    try {
      const tap = (value: Record<string, unknown>, eventId?: string) => bot.post(cardEvent({ openId: "ou_a", value: { action: "save", ...value }, ...(eventId ? { eventId } : {}) }));
      const first = tap({ n: 1, hold: true });
      // The first tap holds the only turn while its handler runs.
      await started;
      const busy = await tap({ n: 2 }, "ev_busy");
      expect(busy.status).toBe(200);
      const answer = (await busy.json()) as { toast?: { type: string; content: string } };
      expect(answer.toast?.content).toContain("请稍后再点一次");
      expect(answer.toast?.type).toBe("warning");
      release();
      expect(((await (await first).json()) as { toast?: { content: string } }).toast?.content).toBe("已记录");
      // Nothing was recorded for the refused tap: delivered again (or tapped again) it runs as new.
      const again = (await (await tap({ n: 2 }, "ev_busy")).json()) as { toast?: { content: string } };
      expect(again.toast?.content).toBe("已记录");
      expect(saved).toEqual(["1", "2"]);
    } finally {
      await bot.close();
    }
  });

  it("lets waiting taps in by arrival order and refuses one that could no longer start in time", async () => {
    let t = 0;
    const gate = createAdmission({ concurrency: 1, capacity: 10, reserveMs: 100, now: () => t });
    const first = await gate.enter(3000);
    expect(first).not.toBeNull();
    const order: string[] = [];
    const second = gate.enter(3000).then((r) => (order.push("second"), r));
    const third = gate.enter(3000).then((r) => (order.push("third"), r));
    expect(gate.load()).toEqual({ running: 1, waiting: 2 });
    first!();
    const r2 = await second;
    expect(r2).not.toBeNull();
    // The clock jumps past what the third tap needed: when its turn comes it is refused instead of started late.
    t = 2950;
    r2!();
    expect(await third).toBeNull();
    expect(order).toEqual(["second", "third"]);
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });
});

describe("outbox order", () => {
  it("delivers an answer queued behind a thousand digest rows within the first small batch", async () => {
    const store = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T00:00:00Z");
    const messenger = new OutboxMessenger(store.db, clock);
    for (let i = 0; i < 1000; i++) await messenger.sendToChat(`oc_${i}`, noticeCard("周报", `${i}`), { dedupeKey: `digest:${i}`, bulk: true });
    await messenger.reply("om_question", noticeCard("我的任务", "答复"), { chatId: "oc_asker" });

    const delivered: string[] = [];
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      sleep: async (ms) => clock.advance(ms),
      log: silent,
      concurrency: 4,
      send: async (row) => (delivered.push(row.target), null),
    });
    await worker.drainOnce();
    expect(delivered).toHaveLength(1001);
    expect(delivered.indexOf("om_question")).toBeLessThan(8);
    await store.close();
  });
});

describe("outbox retention", () => {
  it("removes delivered rows past 90 days and keeps pending, failed and recent ones", async () => {
    const store = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-01-01T00:00:00Z");
    const messenger = new OutboxMessenger(store.db, clock);
    for (const t of ["old_sent", "old_failed", "old_pending", "new_sent"]) await messenger.sendToChat(t, noticeCard("t", t));
    const at = (d: string) => new Date(d).toISOString();
    await store.db.updateTable("outbox").set({ status: "sent", sent_at: at("2026-01-01") }).where("target", "=", "old_sent").execute();
    await store.db.updateTable("outbox").set({ status: "failed" }).where("target", "=", "old_failed").execute();
    await store.db.updateTable("outbox").set({ status: "sent", sent_at: at("2026-05-01") }).where("target", "=", "new_sent").execute();
    const removed = await pruneSentOutbox(store.db, new Date(Date.parse("2026-05-10") - 90 * 86_400_000));
    expect(removed).toBe(1);
    const left = (await store.db.selectFrom("outbox").select("target").orderBy("target").execute()).map((r) => r.target);
    expect(left).toEqual(["new_sent", "old_failed", "old_pending"]);
    await store.close();
  });
});

describe("China time", () => {
  it("agrees with the time-zone database for any instant since 1992", () => {
    const exact = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1992, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        const at = new Date(ms);
        const [y, m, d] = exact.format(at).split("-").map(Number);
        expect(localDate(at)).toEqual({ year: y, month: m, day: d });
      }),
      { numRuns: 2000 },
    );
  });

  it("still uses the time-zone database for other zones", () => {
    expect(localDate(new Date("2026-11-24T20:00:00Z"), "America/New_York")).toEqual({ year: 2026, month: 11, day: 24 });
    expect(localDate(new Date("2026-11-24T20:00:00Z"), "Asia/Tokyo")).toEqual({ year: 2026, month: 11, day: 25 });
  });
});
