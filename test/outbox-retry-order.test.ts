import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noticeCard } from "../cards/notice.js";
import { fixedClock, type Clock } from "../src/clock.js";
import { SendError } from "../src/lark/client.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { openStore, type Store } from "../src/store/open.js";
import type { OutboxRow } from "../src/store/schema.js";
import { startPostgres, type TestPostgres } from "./support/postgres.js";

/**
 * A message that failed and waits for its retry keeps its chat's later messages behind it, on SQLite (one file, two
 * drains) and on a real PostgreSQL server (two instances' connections), until it is delivered or given up.
 */
let server: TestPostgres;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Two connections to one fresh store, as two instances (or two drains on one SQLite file) have. */
async function twoInstances(dialect: "sqlite" | "postgres", name: string): Promise<[Store, Store]> {
  if (dialect === "postgres") {
    const url = await server.createDatabase(name);
    return [await openStore({ databaseUrl: url, databasePath: "" }), await openStore({ databaseUrl: url, databasePath: "" })];
  }
  const dir = mkdtempSync(join(tmpdir(), "duban-retry-order-"));
  dirs.push(dir);
  const path = join(dir, "duban.sqlite");
  const first = await openStore({ databasePath: path });
  return [first, await openStore({ databasePath: path })];
}

const quiet = { info() {}, warn() {}, error() {} };
const noPacing = { acquire: async () => {} };
const label = (row: OutboxRow) => `${row.target} ${JSON.stringify(JSON.parse(row.payload)).match(/第 \d 条/)![0]}`;

function worker(store: Store, clock: Clock, send: (row: OutboxRow) => Promise<string | null>, maxAttempts?: number) {
  return createOutboxWorker({ db: store.db, clock, sleep: async () => {}, log: quiet, pacer: noPacing, serializeClaims: store.dialect === "postgres", send, ...(maxAttempts ? { maxAttempts } : {}) });
}

describe.each(["sqlite", "postgres"] as const)("a message waiting for its retry (%s)", (dialect) => {
  it("holds its chat's later messages back on every instance, and the chat gets all of them in order once it is delivered", async () => {
    const [a, b] = await twoInstances(dialect, "retry_hold");
    const clock = fixedClock("2026-12-01T01:00:00Z");
    try {
      const messenger = new OutboxMessenger(a.db, clock);
      for (let i = 1; i <= 3; i++) await messenger.sendToChat("oc_retry", noticeCard("通知", `第 ${i} 条`));
      await messenger.sendToChat("oc_other", noticeCard("通知", "第 1 条"));
      const first = await a.db.selectFrom("outbox").select("id").where("target", "=", "oc_retry").orderBy("id").executeTakeFirstOrThrow();
      const arrived: string[] = [];
      let failOnce = true;
      const send = async (row: OutboxRow) => {
        // Lark answers the chat's first message with a server error once (retry after the 2 s backoff).
        if (row.id === first.id && failOnce) {
          failOnce = false;
          throw new SendError("飞书服务暂时不可用 (502)", true, null, null);
        }
        arrived.push(label(row));
        return `om_${row.id}`;
      };
      await worker(a, clock, send).drainOnce();
      // The other chat is delivered; nothing to oc_retry, where 2 and 3 would have arrived before 1.
      expect(arrived).toEqual(["oc_other 第 1 条"]);
      const rows = async () => (await a.db.selectFrom("outbox").select(["status", "attempts"]).where("target", "=", "oc_retry").orderBy("id").execute()).map((r) => `${r.status}/${r.attempts}`);
      expect(await rows()).toEqual(["pending/1", "pending/0", "pending/0"]);

      // The other instance, within the backoff, leaves the chat alone too.
      await worker(b, clock, send).drainOnce();
      expect(arrived).toEqual(["oc_other 第 1 条"]);

      clock.advance(2_000);
      await worker(b, clock, send).drainOnce();
      expect(arrived).toEqual(["oc_other 第 1 条", "oc_retry 第 1 条", "oc_retry 第 2 条", "oc_retry 第 3 条"]);
      expect(await rows()).toEqual(["sent/2", "sent/1", "sent/1"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("that keeps failing holds the chat only until it is given up: then it is kept as failed and the later message goes", async () => {
    const [a, b] = await twoInstances(dialect, "retry_give_up");
    const clock = fixedClock("2026-12-01T01:00:00Z");
    try {
      const messenger = new OutboxMessenger(a.db, clock);
      for (let i = 1; i <= 2; i++) await messenger.sendToChat("oc_dead", noticeCard("通知", `第 ${i} 条`));
      const log: string[] = [];
      const send = async (row: OutboxRow) => {
        if (label(row).endsWith("第 1 条")) {
          log.push("第 1 条 失败");
          throw new SendError("飞书服务暂时不可用 (502)", true, null, null);
        }
        log.push(`${label(row)} 送达`);
        return `om_${row.id}`;
      };
      const workers = [worker(a, clock, send, 3), worker(b, clock, send, 3)];
      // Both instances keep polling, a minute apart: longer than any backoff here.
      for (let round = 0; round < 6; round++, clock.advance(60_000)) await workers[round % 2]!.drainOnce();
      expect(log).toEqual(["第 1 条 失败", "第 1 条 失败", "第 1 条 失败", "oc_dead 第 2 条 送达"]);
      const rows = await a.db.selectFrom("outbox").select(["status", "attempts", "last_error"]).where("target", "=", "oc_dead").orderBy("id").execute();
      expect(rows.map((r) => `${r.status}/${r.attempts}`)).toEqual(["failed/3", "sent/1"]);
      expect(rows[0]!.last_error).toContain("502");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
