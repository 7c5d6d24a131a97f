import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import { parseDocument } from "../src/importer/parse.js";
import { importDocument, sha256Hex } from "../src/importer/store.js";
import { splitStatements } from "../src/store/migrations.js";
import { d1Batch, openD1 } from "../src/store/d1.js";
import type { Database } from "../src/store/schema.js";
import { loadMigrationFiles } from "../src/store/sqlite.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { cardEvent, larkEnv, menuEvent, messageEvent, signedRequest } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";

/** The Workers build, bundled by wrangler and run in workerd (Miniflare) with a local D1, offline. */
let mf: Miniflare;
let lark: OpenPlatform;
let db: Kysely<Database>;
let out: string;
let member: string;
let d1: Awaited<ReturnType<Miniflare["getD1Database"]>>;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "duban-worker-"));
  execFileSync(join("node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", out], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    stdio: "pipe",
  });
  lark = await startOpenPlatform();
  mf = new Miniflare({
    modules: true,
    scriptPath: join(out, "index.js"),
    modulesRoot: out,
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat"],
    d1Databases: { DB: "duban-test" },
    bindings: larkEnv(lark.url),
    cf: false,
  });
  d1 = await mf.getD1Database("DB");
  for (const m of loadMigrationFiles()) for (const stmt of splitStatements(m.sql)) await d1.prepare(stmt).run();
  db = openD1(d1 as never);
  const text = readFileSync(join("seeds", "000_yuzhong-medical-service-system.txt"), "utf8");
  await importDocument(db, parseDocument(text), { fileName: "000.txt", hash: await sha256Hex(text), clock: fixedClock("2026-11-24T00:00:00Z") });
  const unit = await db.selectFrom("units").selectAll().where("name", "=", "区卫健委").executeTakeFirstOrThrow();
  member = await demoOpenIdForUnit(unit.jurisdiction, unit.name);
  await db.insertInto("members").values({ open_id: member, unit_id: unit.id, role: "member", name: null, created_at: "2026-11-24" }).execute();
  await db.insertInto("chats").values({ chat_id: "oc_worker_unit", kind: "unit", unit_id: unit.id, name: null, bound_by: "t", bound_at: "2026-11-24" }).execute();
}, 300_000);

afterAll(async () => {
  await mf?.dispose();
  await lark?.close();
  rmSync(out, { recursive: true, force: true });
});

async function post(body: unknown) {
  const req = await signedRequest(body);
  return mf.dispatchFetch("http://localhost/webhook/event", req);
}

describe("the Workers build", () => {
  it("answers the URL challenge", async () => {
    const res = await mf.dispatchFetch("http://localhost/webhook/event", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ challenge: "w1", token: larkEnv("").LARK_VERIFICATION_TOKEN, type: "url_verification" }),
    });
    expect(await res.json()).toEqual({ challenge: "w1" });
  });

  it("answers a signed /我的任务 through the open platform, with the store on D1", async () => {
    const ev = messageEvent({ text: "/我的任务", openId: member });
    const res = await post(ev);
    expect(res.status).toBe(200);
    const sends = await lark.waitForSends(1, 20_000);
    const reply = sends.find((r) => r.path === `/open-apis/im/v1/messages/${ev.event.message.message_id}/reply`);
    expect(JSON.parse(reply!.body.content).header.title.content).toBe("我的任务 · 区卫健委（重庆市渝中区）");
  });

  it("stores a report submitted through a card callback in D1", async () => {
    const before = lark.sends().length;
    await post(messageEvent({ text: "/上报 签约", openId: member }));
    const sends = await lark.waitForSends(before + 1, 20_000);
    const card = JSON.parse(sends.at(-1)!.body.content);
    const form = card.body.elements.find((e: any) => e.tag === "form");
    const submit = form.elements.find((e: any) => e.tag === "button").behaviors[0].value;
    const select = form.elements.find((e: any) => e.tag === "select_static");
    const indicator = select.options[select.initial_index - 1].value;
    const res = await post(cardEvent({ openId: member, value: submit, formValue: { indicator, value: "80", period: "2026Q4" } }));
    expect(((await res.json()) as { toast: unknown }).toast).toEqual({ type: "success", content: "已记录" });
    const rows = await db.selectFrom("reports").selectAll().execute();
    expect(rows.map((r) => [r.value, r.period, r.reporter_open_id])).toEqual([[80, "2026Q4", member]]);
  });

  it("sends the weekly digest from the cron trigger (and the outbox sweep sends no digest)", async () => {
    const worker = await mf.getWorker();
    await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date("2026-11-30T00:55:00Z") });
    expect(await db.selectFrom("outbox").select("id").where("dedupe_key", "like", "digest:%").execute()).toEqual([]);
    await worker.scheduled({ cron: "0 1 * * MON", scheduledTime: new Date("2026-11-30T01:00:00Z") });
    const sends = await lark.waitForSends(1, 20_000);
    await expect.poll(() => lark.sends().filter((r) => r.body?.receive_id === "oc_worker_unit").length, { timeout: 20_000 }).toBe(1);
    const digest = lark.sends().find((r) => r.body?.receive_id === "oc_worker_unit")!;
    expect(JSON.parse(digest.body.content).header.title.content).toBe("周报 · 区卫健委（重庆市渝中区）");
    expect(sends.length).toBeGreaterThan(0);
    const rows = await db.selectFrom("outbox").select(["dedupe_key", "status"]).where("dedupe_key", "like", "digest:%").execute();
    expect(rows).toEqual([{ dedupe_key: "digest:oc_worker_unit:2026-W49", status: "sent" }]);
  });

  it("sends reminders from the 5-minute cron on the half hour in working hours, once, never on a Saturday", async () => {
    const worker = await mf.getWorker();
    const reminders = () => db.selectFrom("outbox").select(["dedupe_key", "status", "target"]).where("dedupe_key", "like", "reminder:%").execute();
    await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date("2026-12-26T02:00:00Z") }); // Saturday 10:00
    await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date("2026-12-25T02:05:00Z") }); // not on the half hour
    expect(await reminders()).toEqual([]);
    await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date("2026-12-25T02:00:00Z") }); // Friday 10:00
    await expect.poll(async () => (await reminders()).filter((r) => r.target === "oc_worker_unit").map((r) => r.status), { timeout: 20_000 }).toEqual(["sent"]);
    await expect.poll(() => lark.sends().filter((r) => r.body?.receive_id === "oc_worker_unit" && JSON.parse(r.body.content).header.title.content.startsWith("督办提醒")).length, { timeout: 20_000 }).toBe(1);
    await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date("2026-12-25T02:30:00Z") });
    expect((await reminders()).filter((r) => r.target === "oc_worker_unit")).toHaveLength(1);
    const ev = await db.selectFrom("supervision_events").select(["kind", "recipients"]).where("kind", "=", "reminder").execute();
    expect(ev).toEqual([{ kind: "reminder", recipients: JSON.stringify(["oc_worker_unit"]) }]);
  });

  it("runs the tapped bot-menu entry (application.bot.menu_v6) and sends its answer to the user, once", async () => {
    const tap = menuEvent({ openId: member, eventKey: "my_tasks" });
    const toMember = () => lark.sends().filter((r) => r.body?.receive_id === member && r.query.receive_id_type === "open_id");
    const before = toMember().length;
    const res = await post(tap);
    expect(await res.json()).toEqual({ msg: "success" });
    await expect.poll(() => toMember().length, { timeout: 20_000 }).toBe(before + 1);
    expect(JSON.parse(toMember().at(-1)!.body.content).header.title.content).toBe("我的任务 · 区卫健委（重庆市渝中区）");
    // Lark delivers events at least once: the same tap again is answered "duplicate" and sends nothing.
    expect(await (await post(tap)).json()).toEqual({ msg: "duplicate" });
    const row = await db.selectFrom("processed_events").select(["kind", "status"]).where("key", "=", `event:${tap.header.event_id}`).executeTakeFirst();
    expect(row).toEqual({ kind: "application.bot.menu_v6", status: "done" });
    expect(toMember()).toHaveLength(before + 1);
  });

  it("sends a supervisor's 催办 to the unit's chat with 上报 buttons, records it in D1, and refuses a member's and a repeat", async () => {
    await db.insertInto("members").values({ open_id: "ou_worker_sup", unit_id: null, role: "supervisor", name: null, created_at: "2026-11-24" }).execute();
    const unit = await db.selectFrom("units").select("id").where("name", "=", "区卫健委").executeTakeFirstOrThrow();
    const press = async (openId: string) => ((await (await post(cardEvent({ openId, value: { action: "cuiban", unit_id: unit.id }, chatId: "oc_worker_sup" }))).json()) as { toast: { type: string; content: string } }).toast;
    expect(await press(member)).toEqual({ type: "error", content: expect.stringContaining("只有督办室") });
    const toUnit = () => lark.sends().filter((r) => r.body?.receive_id === "oc_worker_unit" && JSON.parse(r.body.content).header.title.content.startsWith("催办"));
    const done = await press("ou_worker_sup");
    expect(done).toEqual({ type: "success", content: expect.stringMatching(/^已催办 区卫健委：\d+ 项，发往本单位群/) });
    await expect.poll(() => toUnit().length, { timeout: 20_000 }).toBe(1);
    const card = JSON.parse(toUnit()[0]!.body.content);
    expect(card.header.title.content).toBe("催办 · 区卫健委（重庆市渝中区）");
    expect(JSON.stringify(card)).toContain('"action":"cuiban_report"');
    expect(await db.selectFrom("supervision_events").select(["kind", "actor_open_id", "unit_id"]).where("kind", "=", "cuiban").execute()).toEqual([{ kind: "cuiban", actor_open_id: "ou_worker_sup", unit_id: unit.id }]);
    expect((await press("ou_worker_sup")).content).toContain("催办过");
    expect(toUnit()).toHaveLength(1);
  });

  it("looks up the sender's Lark department (a GET with no body): an admin-mapped department binds its member", async () => {
    const unit = await db.selectFrom("units").select("id").where("name", "=", "区卫健委").executeTakeFirstOrThrow();
    lark.users.set("ou_worker_dept", ["od-worker"]);
    lark.departments.set("od-worker", "卫健委办公室");
    await db.insertInto("department_units").values({ department_id: "od-worker", unit_id: unit.id, bound_by: "ou_admin", bound_at: "2026-11-24" }).execute();
    const ev = messageEvent({ text: "/我的任务", openId: "ou_worker_dept" });
    expect((await post(ev)).status).toBe(200);
    const reply = () => lark.sends().find((r) => r.path === `/open-apis/im/v1/messages/${ev.event.message.message_id}/reply`);
    await expect.poll(() => reply(), { timeout: 20_000 }).toBeTruthy();
    expect(JSON.parse(reply()!.body.content).header.title.content).toBe("我的任务 · 区卫健委（重庆市渝中区）");
    expect(await db.selectFrom("members").select(["unit_id", "role"]).where("open_id", "=", "ou_worker_dept").execute()).toEqual([{ unit_id: unit.id, role: "member" }]);
    const lookups = lark.requests.filter((r) => /\/(ou_worker_dept|od-worker)$/.test(r.path));
    expect(new Set(lookups.map((r) => JSON.stringify([r.method, r.path, r.body])))).toEqual(
      new Set([JSON.stringify(["GET", "/open-apis/contact/v3/users/ou_worker_dept", null]), JSON.stringify(["GET", "/open-apis/contact/v3/departments/od-worker", null])]),
    );
  });

  it("refuses a forged signature and an unsigned event with the same answers as on Node, storing nothing", async () => {
    const count = async () => (await db.selectFrom("processed_events").select("key").execute()).length;
    const events = await count();
    const forged = await signedRequest(messageEvent({ text: "/绑定 督办", openId: "ou_forger" }), { key: "attacker-key" });
    const { headers: _h, ...unsigned } = await signedRequest(messageEvent({ text: "/绑定 督办", openId: "ou_forger" }));
    const answers = [];
    for (const req of [forged, { ...unsigned, headers: { "content-type": "application/json" } }]) {
      const res = await mf.dispatchFetch("http://localhost/webhook/event", req);
      answers.push({ status: res.status, body: await res.json() });
    }
    expect(answers).toEqual([
      { status: 401, body: { error: "signature mismatch" } },
      { status: 401, body: { error: "signature headers missing" } },
    ]);
    expect(await count()).toBe(events);
  });

  it("the 5-minute cron drops processed events older than the replay window (8 h) and keeps recent ones", async () => {
    const row = (key: string, at: string, status: "done") => ({ key, kind: "test", received_at: at, status, payload: null, error: null });
    await db.insertInto("processed_events").values([row("event:w_old", "2026-11-01T00:00:00.000Z", "done"), row("event:w_recent", "2026-11-30T20:00:00.000Z", "done")]).execute();
    const worker = await mf.getWorker();
    // 02:05 is not on the half hour, so this sweep sends no reminders.
    await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date("2026-12-01T02:05:00Z") });
    const keys = (await db.selectFrom("processed_events").select("key").where("key", "in", ["event:w_old", "event:w_recent"]).execute()).map((r) => r.key).sort();
    expect(keys).toEqual(["event:w_recent"]);
  });

  it("applies a D1 batch all or nothing: a chat binding that fails keeps the member row from being written", async () => {
    const at = "2026-11-24T02:00:00Z";
    const member = db.insertInto("members").values({ open_id: "ou_batch", unit_id: null, role: "member", name: null, created_at: at });
    const broken = db.insertInto("chats").values({ chat_id: "oc_batch", kind: "unit", unit_id: null, name: null, bound_by: "ou_batch", bound_at: null as never });
    await expect(d1Batch(d1 as never, [member, broken])).rejects.toThrow(/NOT NULL/);
    expect(await db.selectFrom("members").select("open_id").where("open_id", "=", "ou_batch").execute()).toEqual([]);
    await d1Batch(d1 as never, [member]);
    expect(await db.selectFrom("members").select("open_id").where("open_id", "=", "ou_batch").execute()).toEqual([{ open_id: "ou_batch" }]);
  });
});
