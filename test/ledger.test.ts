import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import { loadLedger } from "../src/ledger/data.js";
import { buildPlanWorkbook, buildWorkbook, SHEETS } from "../src/ledger/workbook.js";
import { seedStore } from "../src/node/seed.js";
import { openSqlite, type SqliteStore } from "../src/store/sqlite.js";
import { appendDelivery, appendEvent } from "../src/supervision/ledger.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { larkEnv, startTestServer } from "./support/events.js";
import { chatWith } from "./support/chat.js";
import { lintCard } from "./support/card-lint.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";

const now = new Date("2026-11-24T02:18:00Z");

async function open(bytes: Uint8Array) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  return wb;
}

/** The sheet as header → value records (row 1 is the header). */
function records(ws: ExcelJS.Worksheet): Record<string, unknown>[] {
  const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
  const out: Record<string, unknown>[] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const vals = row.values as unknown[];
    out.push(Object.fromEntries(header.map((h, k) => [h, vals[k + 1] ?? null])));
  });
  return out;
}

describe("the 台账 workbook", () => {
  let store: SqliteStore;
  let wb: ExcelJS.Workbook;
  let retiredId: number;
  let reportedId: number;

  beforeAll(async () => {
    store = openSqlite({ path: ":memory:" });
    await seedStore(store.db, "seeds", fixedClock(now), { demoRoster: true });
    const raw = store.raw;
    const ind = raw.prepare("SELECT i.id, tu.unit_id FROM indicators i JOIN task_units tu ON tu.task_id = i.task_id AND tu.role = 'lead' WHERE i.name LIKE '%家庭医生签约%' LIMIT 1").get() as { id: number; unit_id: number };
    reportedId = ind.id;
    const add = raw.prepare("INSERT INTO reports (indicator_id, unit_id, period, value, reporter_open_id, reported_at, note) VALUES (?, ?, ?, ?, 'ou_reporter', ?, ?)");
    add.run(ind.id, ind.unit_id, "2026Q3", 78.5, "2026-10-08T01:00:00.000Z", null);
    add.run(ind.id, ind.unit_id, "2026Q4", 80, "2026-11-20T02:00:00.000Z", "初报");
    add.run(ind.id, ind.unit_id, "2026Q4", 80.5, "2026-11-21T03:30:00.000Z", "更正：补录两家机构");
    const other = raw.prepare("SELECT i.id, tu.unit_id FROM indicators i JOIN task_units tu ON tu.task_id = i.task_id AND tu.role = 'lead' WHERE i.id <> ? LIMIT 1").get(ind.id) as { id: number; unit_id: number };
    retiredId = other.id;
    add.run(other.id, other.unit_id, "2026Q3", 12, "2026-10-09T01:00:00.000Z", null);
    raw.prepare("UPDATE indicators SET retired_at = '2026-11-22T00:00:00.000Z' WHERE id = ?").run(other.id);
    // The 督办 record of the unit: a system reminder delivered, then a supervisor's 催办 whose send failed.
    const reminder = await appendEvent(store.db, { kind: "reminder", actorOpenId: null, unitId: ind.unit_id, recipients: ["oc_unit"], items: ["indicator:1@2026Q4#5"], detail: { summary: "1 项：家庭医生签约" }, at: new Date("2026-11-20T01:00:00Z") });
    await appendDelivery(store.db, { eventId: reminder, outboxId: 1, target: "oc_unit", result: "sent", messageId: "om_1", error: null, at: "2026-11-20T01:00:05Z" });
    const cuiban = await appendEvent(store.db, { kind: "cuiban", actorOpenId: "ou_supervisor", unitId: ind.unit_id, recipients: ["oc_unit"], items: ["indicator:1@2026Q4", "indicator:2@2026Q4"], detail: { summary: "2 项" }, at: new Date("2026-11-23T02:00:00Z") });
    await appendDelivery(store.db, { eventId: cuiban, outboxId: 2, target: "oc_unit", result: "failed", messageId: null, error: "230002 bot not in chat", at: "2026-11-23T02:00:05Z" });
    wb = await open(await buildWorkbook(await loadLedger(store.db, {}, now)));
  });
  afterAll(() => store.close());

  it("has the seven sheets in order, each data sheet with a frozen bold header row and an auto-filter", () => {
    expect(wb.worksheets.map((w) => w.name)).toEqual([SHEETS.readme, SHEETS.plans, SHEETS.measures, SHEETS.indicators, SHEETS.retired, SHEETS.reports, SHEETS.supervision]);
    for (const name of [SHEETS.plans, SHEETS.measures, SHEETS.indicators, SHEETS.retired, SHEETS.reports, SHEETS.supervision]) {
      const ws = wb.getWorksheet(name)!;
      expect(ws.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
      expect(ws.getRow(1).font?.bold).toBe(true);
      expect(ws.autoFilter).toBeTruthy();
    }
    expect(records(wb.getWorksheet(SHEETS.measures)!)[0]).toHaveProperty("牵头单位");
  });

  it("keeps the header row and the identifying columns in view when a wide sheet scrolls right", async () => {
    /** The headers of the frozen columns, as Excel/WPS show them pinned on the left. */
    const pinned = (ws: ExcelJS.Worksheet) => {
      const view = ws.views[0] as ExcelJS.WorksheetViewFrozen;
      expect(view).toMatchObject({ state: "frozen", ySplit: 1 });
      // Only the identifying columns: the figures and texts to their right still scroll.
      expect(view.xSplit).toBeLessThan(ws.columnCount);
      return (ws.getRow(1).values as unknown[]).slice(1, (view.xSplit ?? 0) + 1);
    };
    expect(pinned(wb.getWorksheet(SHEETS.plans)!)).toEqual(["方案编号", "方案标题"]);
    expect(pinned(wb.getWorksheet(SHEETS.measures)!)).toEqual(["方案编号", "方案", "章节", "措施编号"]);
    expect(pinned(wb.getWorksheet(SHEETS.indicators)!)).toEqual(["指标编号", "方案编号", "措施编号", "指标名称"]);
    expect(pinned(wb.getWorksheet(SHEETS.retired)!)).toEqual(["指标编号", "方案编号", "措施编号", "指标名称"]);
    expect(pinned(wb.getWorksheet(SHEETS.reports)!)).toEqual(["记录编号", "指标编号", "措施编号", "指标名称", "填报单位"]);
    expect(pinned(wb.getWorksheet(SHEETS.supervision)!)).toEqual(["记录编号", "时间", "类别", "单位"]);
    // The import template and 核对表 a 督查室 types into pin their identifying columns the same way.
    const template = await open(await buildPlanWorkbook(null));
    expect(pinned(template.getWorksheet(SHEETS.plans)!)).toEqual(["方案标题"]);
    expect(pinned(template.getWorksheet(SHEETS.measures)!)).toEqual(["章节", "措施编号"]);
    expect(pinned(template.getWorksheet(SHEETS.indicators)!)).toEqual(["措施编号", "指标名称"]);
  });

  it("lists every active measure with its lead and support units, and sizes columns for Chinese text", async () => {
    const measures = records(wb.getWorksheet(SHEETS.measures)!);
    const active = await store.db.selectFrom("tasks").select("id").where("retired_at", "is", null).execute();
    expect(measures).toHaveLength(active.length);
    const withSupport = measures.find((m) => String(m["配合单位"]).includes("区医保局"));
    expect(withSupport?.["牵头单位"]).toBeTruthy();
    const ws = wb.getWorksheet(SHEETS.measures)!;
    const lead = ws.getColumn(7);
    // 牵头单位 holds names such as 区卫健委、区医保局: wider than the 10 columns of an ASCII default.
    expect(lead.width).toBeGreaterThan(10);
    expect(ws.getColumn(6).width).toBeLessThanOrEqual(70);
  });

  it("writes targets, years and values as numbers, and report times as dates in China time", () => {
    const inds = records(wb.getWorksheet(SHEETS.indicators)!);
    const signed = inds.find((i) => i["指标编号"] === reportedId)!;
    expect(typeof signed["目标值"]).toBe("number");
    expect(typeof signed["目标年份"]).toBe("number");
    expect(signed["最新值"]).toBe(80.5);
    expect(signed["最新周期"]).toBe("2026Q4");
    expect(signed["比较"]).toBe("≥");
    expect(signed["填报次数"]).toBe(3);
    const reports = records(wb.getWorksheet(SHEETS.reports)!).filter((r) => r["指标编号"] === reportedId);
    expect(reports.map((r) => r["数值"])).toEqual([78.5, 80, 80.5]);
    const at = reports[2]!["填报时间"];
    expect(at).toBeInstanceOf(Date);
    // 03:30 UTC is 11:30 in Beijing; the cell shows the wall time officials know.
    expect((at as Date).toISOString().slice(0, 16)).toBe("2026-11-21T11:30");
  });

  it("copies the 督办 record: who pushed whom when, how many items, and whether it arrived", () => {
    const rows = records(wb.getWorksheet(SHEETS.supervision)!);
    expect(rows.map((r) => [r["类别"], r["发起人"], r["对象"], r["事项数"], r["送达成功"], r["送达失败"], r["失败原因"]])).toEqual([
      ["提醒", "系统", "oc_unit", 1, 1, 0, ""],
      ["催办", "ou_supervisor", "oc_unit", 2, 0, 1, "230002 bot not in chat"],
    ]);
    expect(String(rows[0]!["单位"])).toMatch(/（.+）$/);
    // 10:00 in Beijing for 02:00 UTC.
    expect((rows[1]!["时间"] as Date).toISOString().slice(0, 16)).toBe("2026-11-23T10:00");
  });

  it("links a correction to the report it corrects and keeps both", () => {
    const reports = records(wb.getWorksheet(SHEETS.reports)!).filter((r) => r["指标编号"] === reportedId);
    const [q3, first, correction] = reports;
    expect(q3!["更正记录"]).toBeNull();
    expect(first!["更正记录"]).toBeNull();
    expect(correction!["更正记录"]).toBe(first!["记录编号"]);
    expect(correction!["说明"]).toBe("更正：补录两家机构");
  });

  it("moves a retired indicator to 已停用指标 with its reports still in 填报记录", () => {
    const active = records(wb.getWorksheet(SHEETS.indicators)!);
    expect(active.some((i) => i["指标编号"] === retiredId)).toBe(false);
    const retired = records(wb.getWorksheet(SHEETS.retired)!);
    const row = retired.find((i) => i["指标编号"] === retiredId)!;
    expect(row["填报次数"]).toBe(1);
    expect(row["停用时间"]).toBeInstanceOf(Date);
    expect(records(wb.getWorksheet(SHEETS.reports)!).some((r) => r["指标编号"] === retiredId)).toBe(true);
  });

  it("colours statuses and offers drop-downs for the comparison and the frequency", () => {
    const ws = wb.getWorksheet(SHEETS.indicators)!;
    const rows = records(ws);
    const k = rows.findIndex((i) => i["指标编号"] === reportedId);
    const statusCell = ws.getCell(k + 2, 14);
    expect(statusCell.value).toBe(rows[k]!["状态"]);
    expect((statusCell.fill as ExcelJS.FillPattern).fgColor?.argb).toMatch(/^FF[0-9A-F]{6}$/);
    expect(ws.getCell(k + 2, 6).dataValidation).toMatchObject({ type: "list", formulae: ['"≥,≤,="'] });
    expect(ws.getCell(k + 2, 11).dataValidation).toMatchObject({ type: "list" });
  });

  it("for one unit holds only the measures it leads or supports", async () => {
    const unit = await store.db.selectFrom("units").selectAll().where("name", "=", "区医保局").where("jurisdiction", "=", "重庆市渝中区").executeTakeFirstOrThrow();
    const l = await loadLedger(store.db, { unit }, now);
    expect(l.measures.length).toBeGreaterThan(0);
    for (const m of l.measures) expect([...m.lead, ...m.support]).toContain("区医保局");
    expect(l.plans.every((p) => p.jurisdiction === "重庆市渝中区")).toBe(true);
  });
});

describe("/导出 in chat", () => {
  let lark: OpenPlatform;
  let bot: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    lark = await startOpenPlatform();
    bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", demoRoster: true });
  });
  afterAll(async () => {
    await bot.close();
    await lark.close();
  });

  const chat = chatWith(() => bot, () => lark);
  const say = (openId: string, text: string, chatId?: string) => chat.say(openId, text, chatId ? { chatId } : {});

  it("uploads the workbook through im.file.create and sends it as a file message to the supervisor's chat", async () => {
    const uploadsBefore = lark.uploads.size;
    const sent = await say("ou_demo_supervisor", "/导出", "oc_demo_supervisor");
    expect(sent).toHaveLength(2);
    const summary = JSON.parse(sent[0]!.body.content);
    expect(summary.header.title.content).toBe("督办台账已导出");
    expect(lintCard(summary).problems).toEqual([]);
    const fileMsg = sent[1]!;
    expect(fileMsg.path).toBe("/open-apis/im/v1/messages");
    expect(fileMsg.query["receive_id_type"]).toBe("chat_id");
    expect(fileMsg.body).toMatchObject({ receive_id: "oc_demo_supervisor", msg_type: "file" });
    const { file_key } = JSON.parse(fileMsg.body.content) as { file_key: string };
    expect(lark.uploads.size).toBe(uploadsBefore + 1);
    const up = lark.uploads.get(file_key)!;
    expect(up.fileType).toBe("xls");
    expect(up.name).toMatch(/^督办台账-全部方案-\d{8}\.xlsx$/);
    const wb = await open(up.bytes);
    const measures = await bot.store.db.selectFrom("tasks").select("id").where("retired_at", "is", null).execute();
    expect(records(wb.getWorksheet(SHEETS.measures)!)).toHaveLength(measures.length);
  });

  it("gives a unit only its own measures, and refuses another unit's ledger", async () => {
    const member = await demoOpenIdForUnit("重庆市渝中区", "区医保局");
    const before = lark.uploads.size;
    const sent = await say(member, "/导出");
    expect(sent.map((s) => s.body.msg_type)).toEqual(["interactive", "file"]);
    const up = [...lark.uploads.values()][before]!;
    const rows = records((await open(up.bytes)).getWorksheet(SHEETS.measures)!);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(`${r["牵头单位"]}、${r["配合单位"]}`).toContain("区医保局");
    const [refusal] = await say(member, "/导出 渝中区卫健委");
    expect(JSON.stringify(refusal!.body)).toContain("只有督办室和管理员可以导出其他单位的台账");
    expect(lark.uploads.size).toBe(before + 1);
  });

  it("refuses a chat export over 10,000 rows, says how to get it, and uploads nothing", async () => {
    const db = bot.store.db;
    const ind = await db
      .selectFrom("indicators")
      .innerJoin("task_units", (j) => j.onRef("task_units.task_id", "=", "indicators.task_id").on("task_units.role", "=", "lead"))
      .select(["indicators.id", "task_units.unit_id"])
      .executeTakeFirstOrThrow();
    for (let k = 0; k < 10_000; k += 500) {
      const rows = Array.from({ length: 500 }, (_, n) => ({
        indicator_id: ind.id, unit_id: ind.unit_id, period: "2026Q4", value: k + n, reporter_open_id: "ou_bulk", reported_at: "2026-11-20T00:00:00Z", note: null, request_key: null,
      }));
      await db.insertInto("reports").values(rows).execute();
    }
    const before = lark.uploads.size;
    const [answer] = await say("ou_demo_supervisor", "/导出", "oc_demo_supervisor");
    const text = JSON.stringify(JSON.parse(answer!.body.content ?? JSON.stringify(answer!.body.card)));
    expect(text).toContain("超过聊天中导出的上限 10,000 行");
    expect(text).toContain("npm run export");
    expect(lark.uploads.size).toBe(before);
  });
});
