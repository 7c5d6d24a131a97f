import { readFileSync } from "node:fs";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import { parseFile } from "../src/importer/index.js";
import { importDocument, sha256Hex } from "../src/importer/store.js";
import { previewImport } from "../src/intake/preview.js";
import { readPlanSource } from "../src/intake/read.js";
import { buildPlanWorkbook, exportLedger } from "../src/ledger/index.js";
import { SHEETS } from "../src/ledger/workbook.js";
import { openSqlite, type SqliteStore } from "../src/store/sqlite.js";

/**
 * The 台账 goes back in: a plan imported from its document, exported as the workbook, and read back gives the same
 * measures, units and indicators; one cell edited in Excel changes exactly that one thing when imported.
 */
const clock = fixedClock(new Date("2026-11-24T02:00:00Z"));
let store: SqliteStore;
let planId: number;
let exported: Uint8Array;

/** What officials see of a plan: measures with their units by role, and indicators with their targets. */
async function snapshot(id: number) {
  const db = store.db;
  const tasks = await db.selectFrom("tasks").selectAll().where("plan_id", "=", id).where("retired_at", "is", null).orderBy("ordinal").execute();
  const out = [];
  for (const t of tasks) {
    const units = await db.selectFrom("task_units").innerJoin("units", "units.id", "task_units.unit_id").select(["units.name", "task_units.role"]).where("task_id", "=", t.id).orderBy("task_units.ordinal").execute();
    const inds = await db.selectFrom("indicators").selectAll().where("task_id", "=", t.id).where("retired_at", "is", null).orderBy("ordinal").execute();
    out.push({
      code: t.code,
      title: t.title,
      text: t.text,
      deadline: t.deadline,
      deadline_text: t.deadline_text,
      units: units.map((u) => `${u.role}:${u.name}`),
      indicators: inds.map((i) => ({ name: i.name, cmp: i.cmp, target: i.target, unit: i.unit_of_measure, year: i.target_year, baseline: i.baseline, baseline_year: i.baseline_year, period: i.period })),
    });
  }
  return out;
}

async function load(bytes: Uint8Array) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  return wb;
}
const save = async (wb: ExcelJS.Workbook) => new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer);

/** The row of the 指标 sheet holding this indicator, and the column under this header. */
function cellOf(ws: ExcelJS.Worksheet, indicator: string, header: string) {
  const col = (h: string) => {
    let found = 0;
    ws.getRow(1).eachCell((c, n) => {
      if (c.value === h) found = n;
    });
    expect(found, h).toBeGreaterThan(0);
    return found;
  };
  const nameCol = col("指标名称");
  let row = 0;
  ws.eachRow((r, n) => {
    if (!row && n > 1 && r.getCell(nameCol).value === indicator) row = n;
  });
  expect(row, indicator).toBeGreaterThan(1);
  return ws.getCell(row, col(header));
}

async function importBytes(bytes: Uint8Array, name: string) {
  const { plan, source } = await readPlanSource(bytes, name);
  const preview = await previewImport(store.db, plan, await sha256Hex(bytes));
  const r = await importDocument(store.db, plan, { fileName: name, hash: await sha256Hex(bytes), clock });
  return { plan, source, preview, r };
}

beforeAll(async () => {
  store = openSqlite({ path: ":memory:" });
  const bytes = new Uint8Array(readFileSync("seeds/000_yuzhong-medical-service-system.txt"));
  const plan = await parseFile(bytes, { fileName: "渝中.txt" });
  planId = (await importDocument(store.db, plan, { fileName: "渝中.txt", hash: await sha256Hex(bytes), clock })).planId;
  exported = (await exportLedger(store.db, { planId }, clock.now())).bytes!;
});
afterAll(() => store.close());

describe("the 台账 workbook sent back", () => {
  it("is read exactly (no parsing) and gives back the same measures, units and indicators", async () => {
    const before = await snapshot(planId);
    const { plan, source } = await readPlanSource(exported, "台账.xlsx");
    expect(source).toBe("ledger");
    expect(plan.tasks).toHaveLength(before.length);
    expect(plan.tasks.reduce((a, t) => a + t.indicators.length, 0)).toBe(before.reduce((a, t) => a + t.indicators.length, 0));
    const preview = await previewImport(store.db, plan, await sha256Hex(exported));
    expect(preview.revision).toMatchObject({ planId, measuresAdded: [], measuresChanged: [], measuresRetired: [], indicatorsAdded: [], indicatorsChanged: [], indicatorsRetired: [] });
    expect(preview.units.every((u) => u.matched !== null)).toBe(true);
    const { r } = await importBytes(exported, "台账.xlsx");
    expect(r.planId).toBe(planId);
    expect(await snapshot(planId)).toEqual(before);
  });

  it("with one target edited in Excel changes exactly that target", async () => {
    const before = await snapshot(planId);
    const wb = await load(exported);
    const target = cellOf(wb.getWorksheet(SHEETS.indicators)!, "家庭医生签约服务重点人群覆盖率", "目标值");
    expect(target.value).toBe(81);
    target.value = 86;
    const { preview } = await importBytes(await save(wb), "台账-改.xlsx");
    expect(preview.revision?.indicatorsChanged).toEqual([{ code: expect.any(String), name: "家庭医生签约服务重点人群覆盖率", before: "≥81%（2027年）", after: "≥86%（2027年）" }]);
    expect(preview.revision?.measuresChanged).toEqual([]);
    const after = await snapshot(planId);
    const expected = structuredClone(before);
    for (const t of expected) for (const i of t.indicators) if (i.name === "家庭医生签约服务重点人群覆盖率") i.target = 86;
    expect(after).toEqual(expected);
    expect(after).not.toEqual(before);
  });

  it("with a lead unit corrected and a measure deleted, moves that measure and retires the other", async () => {
    const wb = await load(exported);
    const ws = wb.getWorksheet(SHEETS.measures)!;
    const before = await snapshot(planId);
    const [first, second] = before;
    // Row 2 is the first measure, row 3 the second: give the first a new lead, delete the second.
    let leadCol = 0;
    ws.getRow(1).eachCell((c, n) => {
      if (c.value === "牵头单位") leadCol = n;
    });
    ws.getCell(2, leadCol).value = "区民政局";
    ws.spliceRows(3, 1);
    const inds = wb.getWorksheet(SHEETS.indicators)!;
    const gone: number[] = [];
    inds.eachRow((r, n) => {
      if (n > 1 && r.getCell(3).value === second!.code) gone.push(n);
    });
    for (const n of gone.reverse()) inds.spliceRows(n, 1);
    const { preview } = await importBytes(await save(wb), "台账-改2.xlsx");
    expect(preview.revision?.measuresRetired).toEqual([second!.code]);
    expect(preview.units.find((u) => u.printed === "区民政局")).toBeDefined();
    const after = await snapshot(planId);
    expect(after.map((t) => t.code)).toEqual(before.filter((t) => t.code !== second!.code).map((t) => t.code));
    expect(after[0]!.units.filter((u) => u.startsWith("lead:"))).toEqual(["lead:区民政局"]);
    expect(after[0]!.indicators).toEqual(first!.indicators);
  });

  it("with a bad cell is refused with the sheet and row, and nothing is read", async () => {
    const wb = await load(exported);
    cellOf(wb.getWorksheet(SHEETS.indicators)!, "家庭医生签约服务重点人群覆盖率", "目标值").value = "八十";
    await expect(readPlanSource(await save(wb), "台账.xlsx")).rejects.toThrow(/指标 第 \d+ 行：目标值应为数字（现为“八十”）/);
  });

  it("of several plans or of one unit is refused, since importing it would retire what it leaves out", async () => {
    const other = new Uint8Array(readFileSync("seeds/001_dazu-medical-service-task-table.txt"));
    await importDocument(store.db, await parseFile(other, { fileName: "大足.txt" }), { fileName: "大足.txt", hash: await sha256Hex(other), clock });
    const all = (await exportLedger(store.db, {}, clock.now())).bytes!;
    await expect(readPlanSource(all, "全部.xlsx")).rejects.toThrow(/包含 2 个方案，一次只能导入一个/);
    const unit = await store.db.selectFrom("units").selectAll().where("name", "=", "区卫健委").executeTakeFirstOrThrow();
    const mine = (await exportLedger(store.db, { unit }, clock.now())).bytes!;
    await expect(readPlanSource(mine, "单位.xlsx")).rejects.toThrow(/这是单位台账/);
  });

  it("as the 核对表 of a parse reads back as the parse: measures, units and indicators", async () => {
    const bytes = new Uint8Array(readFileSync("test/fixtures/files/plan.docx"));
    const parsed = await parseFile(bytes, { fileName: "plan.docx" });
    const { plan, source } = await readPlanSource(await buildPlanWorkbook(parsed, { fileName: "plan.docx" }), "核对表.xlsx");
    expect(source).toBe("ledger");
    const shape = (p: typeof plan) => ({
      title: p.title,
      issuer: p.issuer,
      issued: p.issued,
      jurisdiction: p.jurisdiction,
      tasks: p.tasks.map((t) => ({
        code: t.code, section: t.section, title: t.title, text: t.text, lead: t.lead, support: t.support, deadline: t.deadline,
        indicators: t.indicators.map((i) => ({ name: i.name, target: i.target, unit: i.unit, cmp: i.cmp, year: i.year, baseline: i.baseline, quote: i.quote })),
      })),
    });
    expect(shape(plan)).toEqual(shape(parsed));
  });

  it("as the blank template (npm run export -- --template) filled in by hand, imports the plan as typed", async () => {
    const wb = await load(await buildPlanWorkbook(null));
    expect(wb.worksheets.map((w) => w.name)).toEqual([SHEETS.readme, SHEETS.plans, SHEETS.measures, SHEETS.indicators]);
    expect(String(wb.getWorksheet(SHEETS.readme)!.getCell("A1").value)).toBe("方案导入模板");
    wb.getWorksheet(SHEETS.plans)!.addRow(["2026年城区绿化工作要点", "某区人民政府办公室", new Date(Date.UTC(2026, 2, 1)), "某区"]);
    wb.getWorksheet(SHEETS.measures)!.addRow(["一、扩绿", "1", "口袋公园", "新建口袋公园10个。", "区城市管理局", "各街道、区住房城乡建委", new Date(Date.UTC(2026, 11, 31)), ""]);
    wb.getWorksheet(SHEETS.measures)!.addRow(["一、扩绿", "2", null, "持续开展义务植树。", "区林业局", null, null, "长期坚持"]);
    wb.getWorksheet(SHEETS.indicators)!.addRow(["1", "新建口袋公园数量", "个", "≥", 10, 2026, null, null, "年度", null]);
    const bytes = await save(wb);
    const { plan, source } = await readPlanSource(bytes, "模板.xlsx");
    expect(source).toBe("ledger");
    expect(plan).toMatchObject({ title: "2026年城区绿化工作要点", issuer: "某区人民政府办公室", issued: "2026-03-01", jurisdiction: "某区", sections: ["一、扩绿"] });
    expect(plan.tasks.map((t) => ({ code: t.code, lead: t.lead, support: t.support, deadline: t.deadline, deadline_text: t.deadline_text }))).toEqual([
      { code: "1", lead: ["区城市管理局"], support: ["各街道", "区住房城乡建委"], deadline: "2026-12-31", deadline_text: null },
      { code: "2", lead: ["区林业局"], support: [], deadline: null, deadline_text: "长期坚持" },
    ]);
    expect(plan.tasks[0]!.indicators).toEqual([expect.objectContaining({ name: "新建口袋公园数量", target: 10, unit: "个", cmp: ">=", year: 2026, frequency: "year" })]);
    const { r } = await importBytes(bytes, "模板.xlsx");
    expect(r).toMatchObject({ created: true, tasks: 2, indicators: 1, units: 4 });
  });

  it("prints A4 landscape one page wide, with long measures given the height of their wrapped text", async () => {
    const wb = await load(exported);
    const ws = wb.getWorksheet(SHEETS.measures)!;
    expect(ws.pageSetup).toMatchObject({ orientation: "landscape", fitToPage: true, fitToWidth: 1, paperSize: 9 });
    const header = (ws.getRow(1).values as unknown[]).map(String);
    let longest = 2;
    ws.eachRow((r, n) => {
      if (n > 1 && String(r.getCell(header.indexOf("措施内容")).value).length > String(ws.getRow(longest).getCell(header.indexOf("措施内容")).value).length) longest = n;
    });
    expect(String(ws.getRow(longest).getCell(header.indexOf("措施内容")).value).length).toBeGreaterThan(100);
    expect(ws.getRow(longest).height).toBeGreaterThanOrEqual(45);
  });
});
