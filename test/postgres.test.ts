import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { fixedClock, systemClock } from "../src/clock.js";
import { click, resolveSpeaker, say } from "../src/local/chat-client.js";
import { renderCallbackResponse, renderCard } from "../src/local/render.js";
import { migratePostgres } from "../src/store/postgres.js";
import { toPostgres } from "../src/store/postgres-ddl.js";
import { migrateSqlite, openSqlite } from "../src/store/sqlite.js";
import { seedStore } from "../src/node/seed.js";
import { noticeCard } from "../cards/notice.js";
import { enqueueWeeklyDigests } from "../src/digest/send.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
import { openStore } from "../src/store/open.js";
import { larkEnv, messageEvent, signedRequest, startTestServer } from "./support/events.js";
import { startOpenPlatform } from "./support/open-platform.js";
import { startPostgres, type TestPostgres } from "./support/postgres.js";

/**
 * PostgreSQL is the third dialect: the same migrations, the same Kysely code. These tests run a real server
 * (Debian's PostgreSQL binaries; .ci/run installs them when missing).
 */
let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

type Column = { table: string; column: string; type: string; notnull: boolean; pk: boolean };

function sqliteSchema(): { columns: Column[]; indexes: string[] } {
  const raw = new BetterSqlite3(":memory:");
  migrateSqlite(raw);
  const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'd1_migrations' ORDER BY name").pluck().all() as string[];
  const family = (t: string) => (/INT/i.test(t) ? "integer" : /REAL|DOUB|FLOA/i.test(t) ? "float" : "text");
  const columns = tables.flatMap((table) =>
    (raw.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[]).map((c) => ({
      table,
      column: c.name,
      type: family(c.type),
      // SQLite lets a PRIMARY KEY column be NULL only for rowid aliases, which are never NULL in practice.
      notnull: c.notnull === 1 || c.pk > 0,
      pk: c.pk > 0,
    })),
  );
  const indexes = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];
  raw.close();
  return { columns, indexes };
}

async function postgresSchema(url: string): Promise<{ columns: Column[]; indexes: string[] }> {
  const pool = new pg.Pool({ connectionString: url });
  await migratePostgres(pool);
  const family = (t: string) => (/int/.test(t) ? "integer" : /double|real|numeric/.test(t) ? "float" : "text");
  const cols = await pool.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
    "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'd1_migrations'",
  );
  const pks = await pool.query<{ table_name: string; column_name: string }>(
    `SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
     JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name
     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public'`,
  );
  const pkSet = new Set(pks.rows.map((r) => `${r.table_name}.${r.column_name}`));
  const columns = cols.rows.map((c) => ({
    table: c.table_name,
    column: c.column_name,
    type: family(c.data_type),
    notnull: c.is_nullable === "NO",
    pk: pkSet.has(`${c.table_name}.${c.column_name}`),
  }));
  // Indexes written in the migrations (not the ones PostgreSQL makes for PRIMARY KEY and UNIQUE constraints).
  const idx = await pool.query<{ indexname: string }>(
    "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT IN (SELECT conname FROM pg_constraint)",
  );
  await pool.end();
  return { columns, indexes: idx.rows.map((r) => r.indexname).sort() };
}

const byKey = (c: Column) => `${c.table}.${c.column}`;

describe("one schema on SQLite and PostgreSQL", () => {
  it("the migrations give both engines the same tables, columns, types, nullability, keys and indexes", async () => {
    const url = await server.createDatabase("schema_check");
    const lite = sqliteSchema();
    const post = await postgresSchema(url);
    expect(post.columns.length).toBeGreaterThan(40);
    expect([...post.columns].sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual([...lite.columns].sort((a, b) => byKey(a).localeCompare(byKey(b))));
    expect(post.indexes).toEqual(lite.indexes);
  });

  it("migrating twice (a second instance starting) applies nothing the second time", async () => {
    const url = await server.createDatabase("twice");
    const pool = new pg.Pool({ connectionString: url });
    const [a, b] = await Promise.all([migratePostgres(pool), migratePostgres(pool)]);
    expect([...a, ...b].filter((n) => n.startsWith("0001"))).toEqual(["0001_init.sql"]);
    expect(await migratePostgres(pool)).toEqual([]);
    await pool.end();
  });

  it("refuses a statement it cannot translate instead of skipping it", () => {
    expect(() => toPostgres("CREATE TRIGGER t BEFORE INSERT ON x BEGIN SELECT 1; END")).toThrow(/cannot translate/);
    expect(() => toPostgres("CREATE VIEW v AS SELECT 1")).toThrow(/cannot translate/);
  });
});

describe("the same conversation on both engines", () => {
  const clock = () => fixedClock("2026-11-24T02:00:00Z");
  async function conversation(databaseUrl?: string) {
    const bot = await startTestServer({ env: { DUBAN_LOCAL: "1" }, seedsDir: "seeds", clock: clock(), ...(databaseUrl ? { databaseUrl } : {}) });
    try {
      const target = { url: bot.url, db: bot.store.db, idle: bot.idle };
      const me = await resolveSpeaker(bot.store.db, "渝中区卫健委");
      const seen: string[] = [];
      for (const text of ["/我的任务", "/上报 签约"]) seen.push(...(await say(target, me, text)).map((a) => renderCard(a.card)));
      const { response } = await click(target, me, "提交", { 数值: "85", 周期: "2026Q4" });
      seen.push(renderCallbackResponse(response));
      for (const text of ["/我的任务", "/进度", "/帮助"]) seen.push(...(await say(target, me, text)).map((a) => renderCard(a.card)));
      const reports = await bot.store.db.selectFrom("reports").select(["indicator_id", "unit_id", "period", "value"]).orderBy("id").execute();
      const counts = await Promise.all(
        (["plans", "tasks", "units", "indicators", "task_units"] as const).map(async (t) => Number((await bot.store.db.selectFrom(t).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n)),
      );
      return { seen, reports, counts };
    } finally {
      await bot.close();
    }
  }

  it("seeds, lists, reports and shows progress identically on SQLite and PostgreSQL", async () => {
    const onSqlite = await conversation();
    const onPostgres = await conversation(await server.createDatabase("conversation"));
    expect(onSqlite.reports).toHaveLength(1);
    expect(onPostgres.counts).toEqual(onSqlite.counts);
    expect(onPostgres.reports).toEqual(onSqlite.reports);
    expect(onPostgres.seen).toEqual(onSqlite.seen);
  });
});

describe("several instances on one PostgreSQL", () => {
  it("handles each event once and sends each answer once while events and Lark's retries hit both instances", async () => {
    const url = await server.createDatabase("two_instances");
    const lark = await startOpenPlatform();
    const a = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", databaseUrl: url });
    const b = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", databaseUrl: url });
    try {
      const events = Array.from({ length: 30 }, (_, k) => messageEvent({ text: "/帮助", openId: `ou_user${k}`, eventId: `ev_multi_${k}`, messageId: `om_multi_${k}` }));
      // Every event goes to one instance, and a "retry" of it to the other, interleaved.
      type Bot = typeof a;
      const deliveries: [Bot, (typeof events)[number]][] = events.flatMap((e, k): [Bot, typeof e][] => (k % 2 ? [[a, e], [b, e]] : [[b, e], [a, e]]));
      const statuses = await Promise.all(deliveries.map(async ([bot, e]) => (await fetch(`${bot.url}/webhook/event`, await signedRequest(e))).status));
      expect(statuses.every((s) => s === 200)).toBe(true);
      await Promise.all([a.idle(), b.idle()]);
      await lark.waitForSends(30, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      const replies = lark.sends().filter((r) => r.path.endsWith("/reply"));
      const perMessage = new Map<string, number>();
      for (const r of replies) perMessage.set(r.path, (perMessage.get(r.path) ?? 0) + 1);
      expect(perMessage.size).toBe(30);
      expect([...perMessage.values()].every((n) => n === 1)).toBe(true);
      const done = await a.store.db.selectFrom("processed_events").select("key").where("key", "like", "event:ev_multi_%").where("status", "=", "done").execute();
      expect(done).toHaveLength(30);

      // The weekly digest fired by both instances' schedulers: one message per chat and week.
      await a.store.db.insertInto("chats").values([{ chat_id: "oc_sup", kind: "supervisor", unit_id: null, bound_at: "2026-11-01T00:00:00Z" }]).execute();
      const monday = new Date("2026-11-30T01:00:00Z");
      await Promise.all([enqueueWeeklyDigests(a.services, monday), enqueueWeeklyDigests(b.services, monday)]);
      const digests = (await a.store.db.selectFrom("outbox").select("target").where("dedupe_key", "like", "digest:%").execute()).map((d) => d.target);
      expect(digests).toContain("oc_sup");
      expect(new Set(digests).size).toBe(digests.length);
    } finally {
      await a.close();
      await b.close();
      await lark.close();
    }
  });

  it("takes over the rows a dead instance had claimed once the lease has passed, and not before", async () => {
    const url = await server.createDatabase("lease");
    const store = await openStore({ databaseUrl: url, databasePath: "" });
    const clock = fixedClock("2026-11-30T01:00:00Z");
    const messenger = new OutboxMessenger(store.db, clock);
    for (let i = 0; i < 5; i++) await messenger.sendToChat(`oc_${i}`, noticeCard("通知", String(i)));
    // Instance A claims everything, then dies before sending.
    await store.db.updateTable("outbox").set({ status: "sending", claimed_at: clock.now().toISOString() }).execute();
    const sent: string[] = [];
    const b = createOutboxWorker({ db: store.db, clock, sleep: async (ms) => clock.advance(ms), log: { info() {}, warn() {}, error() {} }, leaseMs: 60_000, send: async (row) => (sent.push(row.target), null) });
    expect(await b.reclaimExpired()).toBe(0);
    await b.drainOnce();
    expect(sent).toEqual([]);
    clock.advance(61_000);
    expect(await b.reclaimExpired()).toBe(5);
    await b.drainOnce();
    expect(sent.sort()).toEqual(["oc_0", "oc_1", "oc_2", "oc_3", "oc_4"]);
    await store.close();
  });
});

/** The most timestamps any window [t, t + span) holds. */
function busiestWindow(times: number[], span: number): number {
  const t = [...times].sort((x, y) => x - y);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (j < t.length && t[j]! < t[i]! + span) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe("Lark's limits are per app, so instances on one database pace their sends together", () => {
  it("two instances delivering 120 messages stay under 50 per second together, and under 5 per second to one chat", async () => {
    const url = await server.createDatabase("shared_pacing");
    const lark = await startOpenPlatform();
    // No polling: the two drains below are the only ones, so each instance's share is known.
    const opts = { env: larkEnv(lark.url), seedsDir: null, databaseUrl: url, outboxPollMs: 3_600_000 };
    const a = await startTestServer(opts);
    const b = await startTestServer(opts);
    try {
      const messenger = new OutboxMessenger(a.store.db, systemClock);
      // 110 chats once each, and one chat ten times (every twelfth row), its rows one at a time whichever instance claims them.
      const targets = Array.from({ length: 120 }, (_, i) => (i % 12 === 5 ? "oc_busy" : `oc_chat_${i}`));
      for (const [i, t] of targets.entries()) await messenger.sendToChat(t, noticeCard("通知", `第 ${i} 条`));
      let [byA, byB] = await Promise.all([a.worker!.drainOnce(), b.worker!.drainOnce()]);
      // A send that failed on a loaded machine is retried 2 s later, as in production: drain until none is left.
      const unsent = () => a.store.db.selectFrom("outbox").select(["target", "status", "last_error"]).where("status", "<>", "sent").execute();
      for (let round = 0; round < 20 && (await unsent()).length > 0; round++) {
        await new Promise((r) => setTimeout(r, 500));
        const [more, moreB] = await Promise.all([a.worker!.drainOnce(), b.worker!.drainOnce()]);
        byA += more;
        byB += moreB;
      }
      expect(await unsent()).toEqual([]);
      expect(byA).toBeGreaterThan(0);
      expect(byB).toBeGreaterThan(0);

      const sends = lark.sends().filter((r) => r.path === "/open-apis/im/v1/messages");
      expect(new Set(sends.map((r) => r.body.uuid)).size).toBe(120);
      // What the stand-in saw: at most the 50 per second the instances allow together, plus arrival jitter (two
      // instances each pacing on its own would let about 100 through in the first second).
      expect(busiestWindow(sends.map((r) => r.at), 1000)).toBeLessThanOrEqual(65);
      expect(busiestWindow(sends.filter((r) => r.body.receive_id === "oc_busy").map((r) => r.at), 1000)).toBeLessThanOrEqual(8);
      // What the instances counted, at the moment each send was allowed: exactly within the limits.
      const pacing = await a.store.db.selectFrom("send_pacing").select(["key", "at"]).execute();
      const app = pacing.filter((p) => p.key === "app").map((p) => Number(p.at));
      expect(app).toHaveLength(sends.length);
      expect(busiestWindow(app, 1000)).toBeLessThanOrEqual(50);
      expect(busiestWindow(pacing.filter((p) => p.key === "t:oc_busy").map((p) => Number(p.at)), 1000)).toBeLessThanOrEqual(5);
    } finally {
      await a.close();
      await b.close();
      await lark.close();
    }
  });
});

describe("moving a SQLite store to PostgreSQL", () => {
  it("copies every table with its ids, moves the id counters on, and refuses a target that already has data", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-move-"));
    const file = join(dir, "duban.sqlite");
    const lite = openSqlite({ path: file });
    await seedStore(lite.db, "seeds", fixedClock("2026-11-24T02:00:00Z"), { demoRoster: true });
    const ind = await lite.db.selectFrom("indicators").select(["id"]).orderBy("id").executeTakeFirstOrThrow();
    const unit = await lite.db.selectFrom("units").select(["id"]).orderBy("id").executeTakeFirstOrThrow();
    await lite.db.insertInto("reports").values({ indicator_id: ind.id, unit_id: unit.id, period: "2026Q4", value: 42, reporter_open_id: "ou_x", reported_at: "2026-11-24T02:00:00Z" }).execute();
    const before = {
      units: await lite.db.selectFrom("units").selectAll().orderBy("id").execute(),
      reports: await lite.db.selectFrom("reports").selectAll().execute(),
      heads: await lite.db.selectFrom("report_heads").selectAll().orderBy("indicator_id").orderBy("unit_id").execute(),
    };
    expect(before.heads.length).toBeGreaterThan(0);
    await lite.close();

    const url = await server.createDatabase("moved");
    const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/migrate-store.ts", "--from", file, "--to", url], { encoding: "utf8" });
    expect(out).toMatch(/已复制 \d+ 张表/);
    expect(out).toContain("ANALYZE");

    const moved = await openStore({ databaseUrl: url, databasePath: "" });
    // The planner has statistics from the start (not -1 "never analyzed" until autovacuum comes by): every copied
    // table was analyzed, and the row estimate the planner uses for units is the number of units copied.
    const stats = await sql<{ relname: string; last_analyze: Date | null }>`SELECT relname, last_analyze FROM pg_stat_user_tables`.execute(moved.db);
    expect(stats.rows.filter((t) => t.last_analyze === null).map((t) => t.relname)).toEqual([]);
    const units = await sql<{ reltuples: number }>`SELECT reltuples FROM pg_class WHERE relname = 'units' AND relkind = 'r'`.execute(moved.db);
    expect(Number(units.rows[0]!.reltuples)).toBe(before.units.length);
    expect(await moved.db.selectFrom("units").selectAll().orderBy("id").execute()).toEqual(before.units);
    expect(await moved.db.selectFrom("reports").selectAll().execute()).toEqual(before.reports);
    // Not copied: rebuilt by the target's triggers from the reports copied, the same rows.
    expect(await moved.db.selectFrom("report_heads").selectAll().orderBy("indicator_id").orderBy("unit_id").execute()).toEqual(before.heads);
    // A new row gets the next id, not one that collides with a copied id.
    const added = await moved.db.insertInto("units").values({ jurisdiction: "测试", name: "新单位", kind: "unit" }).returning("id").executeTakeFirstOrThrow();
    expect(added.id).toBe(Math.max(...before.units.map((u) => u.id)) + 1);
    await moved.close();

    const again = spawnSync(process.execPath, ["--import", "tsx", "scripts/migrate-store.ts", "--from", file, "--to", url], { encoding: "utf8" });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("已有");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("when PostgreSQL goes away", () => {
  it("the health check answers 503 so a load balancer stops sending events to that instance", async () => {
    const own = await startPostgres();
    const bot = await startTestServer({ env: { DUBAN_LOCAL: "1" }, seedsDir: null, databaseUrl: own.url });
    try {
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
      await own.stop();
      const down = await fetch(`${bot.url}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ ok: false, database: "unreachable" });
    } finally {
      await bot.close().catch(() => {});
    }
  });
});

describe("the 督办 record on PostgreSQL", () => {
  it("refuses UPDATE and DELETE like the SQLite triggers (translated append-only triggers)", async () => {
    const pool = new pg.Pool({ connectionString: await server.createDatabase("duban_ledger") });
    try {
      await migratePostgres(pool);
      await pool.query("INSERT INTO supervision_events (kind, recipients, items, items_key, created_at) VALUES ('cuiban', '[]', '[]', '', '2026-11-24')");
      await expect(pool.query("UPDATE supervision_events SET actor_open_id = 'ou_x'")).rejects.toThrow(/append-only/);
      await expect(pool.query("DELETE FROM supervision_events")).rejects.toThrow(/append-only/);
      expect((await pool.query("SELECT count(*)::int AS n FROM supervision_events")).rows[0].n).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
