import { describe, expect, it } from "vitest";
import { noticeCard } from "../cards/notice.js";
import { fixedClock } from "../src/clock.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
import { openSqlite } from "../src/store/sqlite.js";

const silent = { info() {}, warn() {}, error() {} };

describe("pacing per chat", () => {
  it("replies to different messages in one chat share that chat's 5-a-second budget", async () => {
    const store = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T00:00:00Z");
    const messenger = new OutboxMessenger(store.db, clock);
    for (let i = 0; i < 10; i++) await messenger.reply(`om_${i}`, noticeCard("t", `${i}`), { chatId: "oc_busy" });
    await messenger.reply("om_other", noticeCard("t", "other"), { chatId: "oc_quiet" });

    const delivered: { target: string; at: number }[] = [];
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      sleep: async (ms) => clock.advance(ms),
      log: silent,
      concurrency: 1,
      send: async (row) => (delivered.push({ target: row.target, at: clock.now().getTime() }), `sent_${row.id}`),
    });
    await worker.drainOnce();

    expect(delivered).toHaveLength(11);
    const busy = delivered.filter((d) => d.target !== "om_other").map((d) => d.at);
    for (const t of busy) expect(busy.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(5);
    const statuses = await store.db.selectFrom("outbox").select("status").execute();
    expect(statuses.every((r) => r.status === "sent")).toBe(true);
    await store.close();
  });
});
