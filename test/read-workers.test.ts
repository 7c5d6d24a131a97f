import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultReadWorkers } from "../src/node/read-pool.js";
import type { RuntimeOptions } from "../src/node/runtime.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { cardOf, chatWith, textOf } from "./support/chat.js";
import { larkEnv, messageEvent, signedRequest, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";

/**
 * Read-only commands read and build their answers on worker threads (src/node/read-pool.ts). What an official sees
 * must not depend on it: the same card as when the main thread builds it, also when the worker dies or hangs in the
 * middle of the job, and the event is finished either way.
 */
type Bot = Awaited<ReturnType<typeof startTestServer>>;
let lark: OpenPlatform;
let yuzhong: string;
/** /我的任务 of 区卫健委（重庆市渝中区）, built on the main thread (no workers). */
let inProcessCard: unknown;

async function startBot(o: Partial<RuntimeOptions>): Promise<Bot> {
  const bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", demoRoster: true, ...o });
  await bot.readPool?.ready();
  return bot;
}

async function myTasks(bot: Bot, openId = yuzhong) {
  const [reply, ...more] = await chatWith(() => bot, () => lark).say(openId, "/我的任务");
  expect(more).toEqual([]);
  const row = await bot.store.db.selectFrom("processed_events").select("status").where("key", "like", "event:%").orderBy("received_at", "desc").executeTakeFirstOrThrow();
  return { reply: reply!, status: row.status };
}

beforeAll(async () => {
  lark = await startOpenPlatform();
  yuzhong = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
  const bot = await startBot({ readWorkers: 0 });
  try {
    expect(bot.readPool).toBeNull();
    inProcessCard = cardOf((await myTasks(bot)).reply);
  } finally {
    await bot.close();
  }
});
afterAll(async () => {
  await lark.close();
});

describe("how many read workers start by default", () => {
  it("one per core beyond the first, at most four; none on one core", () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => defaultReadWorkers(cores))).toEqual([0, 1, 2, 3, 4, 4]);
  });
});

describe("read workers", () => {
  it("answer a signed /我的任务 from a worker thread with the card the main thread builds, and finish the event", async () => {
    const bot = await startBot({ readWorkers: 1 });
    try {
      const { reply, status } = await myTasks(bot);
      expect(bot.readPool!.stats).toEqual({ answered: 1, handedBack: 0, lost: 0 });
      expect(textOf(reply)).toContain("我的任务 · 区卫健委（重庆市渝中区）");
      expect(cardOf(reply)).toEqual(inProcessCard);
      expect(status).toBe("done");
      // The card's text from the worker is stored as it came, and is exactly what serialising the payload gives.
      const stored = await bot.store.db.selectFrom("outbox").select("payload").execute();
      expect(stored.length).toBeGreaterThan(0);
      for (const { payload } of stored) expect(JSON.stringify(JSON.parse(payload))).toBe(payload);
    } finally {
      await bot.close();
    }
  });

  it("answer commands sent together, each with every value committed before it was sent", async () => {
    const bot = await startBot({ readWorkers: 1 });
    // Sent at once, so the worker reads them in one batch (one read transaction).
    const together = async (n: number) => {
      const before = lark.sends().length;
      const answers = await Promise.all(Array.from({ length: n }, async () => (await bot.post(undefined, await signedRequest(messageEvent({ text: "/我的任务", openId: yuzhong })))).status));
      expect(answers).toEqual(Array(n).fill(200));
      await bot.idle();
      await bot.worker!.kick();
      return lark.sends().slice(before);
    };
    try {
      const first = await together(6);
      expect(first).toHaveLength(6);
      for (const r of first) expect(cardOf(r)).toEqual(inProcessCard);
      expect(bot.readPool!.stats).toEqual({ answered: 6, handedBack: 0, lost: 0 });

      // A value committed, then commands sent: every answer shows it (the batch's snapshot is newer than each post).
      const unit = await bot.store.db.selectFrom("units").select("id").where("name", "=", "区卫健委").where("jurisdiction", "like", "%渝中区%").executeTakeFirstOrThrow();
      const indicator = await bot.store.db
        .selectFrom("indicators as i")
        .innerJoin("task_units as tu", "tu.task_id", "i.task_id")
        .select(["i.id", "i.name"])
        .where("tu.unit_id", "=", unit.id)
        .where("tu.role", "=", "lead")
        .orderBy("i.id")
        .executeTakeFirstOrThrow();
      await bot.store.db
        .insertInto("reports")
        .values({ indicator_id: indicator.id, unit_id: unit.id, period: "2026Q4", value: 4321, reporter_open_id: yuzhong, reported_at: new Date().toISOString(), note: null, request_key: null })
        .execute();
      const second = await together(6);
      expect(second).toHaveLength(6);
      for (const r of second) expect(textOf(r)).toContain("4321");
      expect(bot.readPool!.stats).toEqual({ answered: 12, handedBack: 0, lost: 0 });
    } finally {
      await bot.close();
    }
  });

  it("hand a command that needs the Lark directory (an unbound sender) back to the main thread", async () => {
    const bot = await startBot({ readWorkers: 1 });
    try {
      const { reply, status } = await myTasks(bot, "ou_stranger_rw");
      expect(textOf(reply)).toContain("/绑定");
      expect(bot.readPool!.stats).toEqual({ answered: 0, handedBack: 1, lost: 0 });
      expect(status).toBe("done");
    } finally {
      await bot.close();
    }
  });

  it("still answer with the same card when the worker dies in the middle of the job, and replace the worker", async () => {
    let crashes = 0;
    const bot = await startBot({ readWorkers: 1, readPool: { onPosted: (w) => void (crashes++ === 0 && w.terminate()) } });
    try {
      const { reply, status } = await myTasks(bot);
      expect(cardOf(reply)).toEqual(inProcessCard);
      expect(status).toBe("done");
      expect(bot.readPool!.stats.lost).toBe(1);
      // The replacement takes the next command.
      await bot.readPool!.ready();
      const again = await myTasks(bot);
      expect(cardOf(again.reply)).toEqual(inProcessCard);
      expect(bot.readPool!.stats).toEqual({ answered: 1, handedBack: 0, lost: 1 });
    } finally {
      await bot.close();
    }
  });

  it("still answer with the same card when the worker hangs past the job timeout", async () => {
    const bot = await startBot({ readWorkers: 1, readPool: { stallMs: 600_000, timeoutMs: 100 } });
    try {
      const { reply, status } = await myTasks(bot);
      expect(cardOf(reply)).toEqual(inProcessCard);
      expect(status).toBe("done");
      expect(bot.readPool!.stats).toEqual({ answered: 0, handedBack: 0, lost: 1 });
    } finally {
      await bot.close();
    }
  });
});
