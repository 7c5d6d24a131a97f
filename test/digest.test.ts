import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { digestStatus, enqueueWeeklyDigests } from "../src/digest/send.js";
import type { Services } from "../src/events/types.js";
import { noDirectory } from "../src/lark/client.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { renderCard } from "../src/local/render.js";
import { seedStore } from "../src/node/seed.js";
import { openSqlite, type SqliteStore } from "../src/store/sqlite.js";
import { supervisorDigestCard, unitDigestCard } from "../cards/digest.js";
import { larkEnv, startTestServer } from "./support/events.js";
import { startOpenPlatform } from "./support/open-platform.js";

// Monday 2026-11-30 09:00 in Shanghai.
const MONDAY = "2026-11-30T01:00:00Z";
let store: SqliteStore;
let s: Services;
let unit: { id: number; name: string; jurisdiction: string; kind: "unit" | "group" };

async function report(name: string, value: number, period: string, at: string) {
  const ind = await store.db.selectFrom("indicators").innerJoin("tasks", "tasks.id", "indicators.task_id").innerJoin("plans", "plans.id", "tasks.plan_id")
    .select("indicators.id").where("indicators.name", "like", `%${name}%`).where("plans.jurisdiction", "=", "重庆市渝中区").executeTakeFirstOrThrow();
  await store.db.insertInto("reports").values({ indicator_id: ind.id, unit_id: unit.id, period, value, reporter_open_id: "ou_x", reported_at: at, note: null, request_key: `${name}:${period}:${value}` }).execute();
}

beforeAll(async () => {
  store = openSqlite({ path: ":memory:" });
  const clock = fixedClock(MONDAY);
  await seedStore(store.db, "seeds", clock, { demoRoster: true });
  s = { db: store.db, clock, messenger: new OutboxMessenger(store.db, clock), directory: noDirectory, log: { info() {}, warn() {}, error() {} }, adminOpenIds: [] };
  unit = await store.db.selectFrom("units").selectAll().where("jurisdiction", "=", "重庆市渝中区").where("name", "=", "区卫健委").executeTakeFirstOrThrow();
  // Coverage 81% by 2027 from a baseline of none: reported this week, with a previous quarter for the trend.
  await report("签约服务重点人群覆盖率", 76, "2026Q3", "2026-10-02T02:00:00Z");
  await report("签约服务重点人群覆盖率", 78, "2026Q4", "2026-11-26T02:00:00Z");
  await report("甲级中心", 3, "2026Q4", "2026-11-10T02:00:00Z");
  await store.db.insertInto("chats").values([
    { chat_id: "oc_unit", kind: "unit", unit_id: unit.id, name: null, bound_by: "t", bound_at: MONDAY },
    { chat_id: "oc_office", kind: "supervisor", unit_id: null, name: null, bound_by: "t", bound_at: MONDAY },
  ]).execute();
});
afterAll(() => store.close());

describe("the unit digest (fixed clock)", () => {
  it("lists what was reported this week with its trend, and what is missing for the current period", async () => {
    const d = await buildUnitDigest(store.db, unit, new Date(MONDAY));
    expect(d.week).toBe("2026-W49");
    expect(d.reportedThisWeek.map((i) => i.name)).toEqual(["家庭医生签约服务重点人群覆盖率"]);
    expect(d.missing.length).toBe(d.indicators.length - 2);
    const text = renderCard(unitDigestCard(d));
    expect(text).toContain("周报 · 区卫健委（重庆市渝中区）");
    expect(text).toContain("最新 78%（2026年第4季度） ↑");
    expect(text).toMatch(/本期未填报 \d+ 个/);
  });

  it("a week later the same report is no longer 'this week', and in 2028 unmet targets are overdue", async () => {
    const later = await buildUnitDigest(store.db, unit, new Date("2026-12-07T01:00:00Z"));
    expect(later.reportedThisWeek).toEqual([]);
    const after = await buildUnitDigest(store.db, unit, new Date("2028-01-10T01:00:00Z"));
    expect(after.overdue.indicators.map((i) => i.name)).toContain("家庭医生签约服务重点人群覆盖率");
  });
});

describe("the supervising office digest", () => {
  it("ranks units by reporting completeness and draws it as a chart", async () => {
    const d = await buildSupervisorDigest(store.db, new Date(MONDAY));
    expect(d.rows[0]!.unitName).toBe("区卫健委");
    const card = supervisorDigestCard(d);
    const chart = card.body.elements.find((e: any) => e.tag === "chart") as any;
    expect(chart.chart_spec.data.values[0]).toEqual({ unit: "区卫健委（渝中区）", completeness: Math.round(d.rows[0]!.completeness * 100) });
    expect(JSON.stringify(card).length).toBeLessThan(30_000);
  });
});

describe("sending", () => {
  it("queues each (chat, week) once across a crash mid-run and a double trigger", async () => {
    // A run that "crashed" after the first chat: only its row exists.
    await s.messenger.sendToChat("oc_office", { schema: "2.0", body: { elements: [] } }, { dedupeKey: "digest:oc_office:2026-W49" });
    const first = await enqueueWeeklyDigests(s, new Date(MONDAY));
    const second = await enqueueWeeklyDigests(s, new Date(MONDAY));
    // Three bound chats: the seeded demo office, oc_office (already queued before the crash) and oc_unit.
    expect([first.chats, first.queued, second.queued]).toEqual([3, 2, 0]);
    const rows = await digestStatus(s, "2026-W49");
    expect(rows.map((r) => r.target).sort()).toEqual(["oc_demo_supervisor", "oc_office", "oc_unit"]);
    const next = await enqueueWeeklyDigests(s, new Date("2026-12-07T01:00:00Z"));
    expect(next.queued).toBe(3);
  });

  it("delivers digests to many chats through the open platform, each once, paced and retried", async () => {
    const lark = await startOpenPlatform();
    const bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: null });
    const chats = Array.from({ length: 12 }, (_, i) => ({ chat_id: `oc_d${i}`, kind: "supervisor" as const, unit_id: null, name: null, bound_by: "t", bound_at: MONDAY }));
    await bot.store.db.insertInto("chats").values(chats).execute();
    lark.failNext(1, { status: 429, code: 99991400, resetSeconds: 1 }, (r) => r.body?.receive_id === "oc_d3");
    await enqueueWeeklyDigests(bot.services, new Date(MONDAY));
    await enqueueWeeklyDigests(bot.services, new Date(MONDAY));
    for (let i = 0; i < 60; i++) {
      const st = await digestStatus(bot.services, "2026-W49");
      if (st.every((r) => r.status === "sent")) break;
      await new Promise((r) => setTimeout(r, 100));
      await bot.worker!.kick();
    }
    const st = await digestStatus(bot.services, "2026-W49");
    expect(st.filter((r) => r.status === "sent")).toHaveLength(12);
    const creates = lark.sends().filter((r) => r.path === "/open-apis/im/v1/messages");
    const ok = new Map<string, number>();
    for (const c of creates) ok.set(c.body.receive_id, (ok.get(c.body.receive_id) ?? 0) + 1);
    expect([...ok.values()].filter((n) => n > 1)).toEqual([2]); // only oc_d3, once refused and once delivered
    await bot.close();
    await lark.close();
  });
});
