import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ExcelJS from "exceljs";
import { MAX_IMPORT_BYTES } from "../commands/import.js";
import { exportLedger } from "../src/ledger/index.js";
import { SHEETS } from "../src/ledger/workbook.js";
import { renderCard } from "../src/local/render.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { larkEnv, messageEvent, startTestServer } from "./support/events.js";
import { lintCard } from "./support/card-lint.js";
import { startOpenPlatform, type OpenPlatform, type Recorded } from "./support/open-platform.js";
import { cardOf, chatWith, textOf as shown } from "./support/chat.js";

/**
 * Plans in through the chat: a file message → the bot downloads it from the open platform (message resource API)
 * → preview card → 确认导入 stores it, 取消 stores nothing. The store starts with one plan (大足), so the 渝中
 * plan sent here is new, and sending it again revised is a revision.
 */
const ADMIN = "ou_admin"; // ADMIN_OPEN_IDS in larkEnv
const YUZHONG = "seeds/000_yuzhong-medical-service-system.txt";
let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;
let seeds: string;
let fileSeq = 0;

beforeAll(async () => {
  seeds = mkdtempSync(join(tmpdir(), "duban-intake-seeds-"));
  copyFileSync("seeds/001_dazu-medical-service-task-table.txt", join(seeds, "001.txt"));
  lark = await startOpenPlatform();
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: seeds });
});
afterAll(async () => {
  await bot.close();
  await lark.close();
  rmSync(seeds, { recursive: true, force: true });
});

/** The card as text, after checking it is one Feishu accepts (JSON 2.0 schema, ≤ 200 elements, ≤ 30 KB). */
const textOf = (r: Recorded) => {
  expect(lintCard(cardOf(r)).problems).toEqual([]);
  return shown(r);
};
const count = async (table: "plans" | "tasks" | "pending_imports" | "reports") =>
  Number((await bot.store.db.selectFrom(table).select(bot.store.db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);

const chat = chatWith(() => bot, () => lark);

/** Sends a file message as Lark does (content {file_key, file_name}); the stand-in serves its bytes. */
async function sendFile(openId: string, name: string, bytes: Uint8Array, o: { chunked?: boolean } = {}) {
  const key = `file_v3_test_${++fileSeq}`;
  const ev = messageEvent({ text: "", openId });
  ev.event.message.message_type = "file";
  ev.event.message.content = JSON.stringify({ file_key: key, file_name: name });
  lark.resources.set(key, { messageId: ev.event.message.message_id, bytes, chunked: o.chunked });
  return (await chat.deliver(ev, name)).sent;
}

const say = (openId: string, text: string) => chat.say(openId, text);
const click = (openId: string, value: Record<string, unknown>, m: { formValue?: Record<string, unknown> } = {}) => chat.click(openId, value, m);

function buttonValue(card: any, label: string): Record<string, unknown> {
  const found: any[] = [];
  const walk = (els: any[]) => {
    for (const e of els ?? []) {
      if (e.tag === "button" && e.text?.content === label) found.push(e.behaviors[0].value);
      walk(e.elements);
      walk(e.columns);
    }
  };
  walk(card.body.elements);
  expect(found, `button ${label}`).toHaveLength(1);
  return found[0];
}

/** What an import could have written: plans, their measures, pending previews, and reported values. */
const storedCounts = async () => ({ plans: await count("plans"), tasks: await count("tasks"), pending: await count("pending_imports"), reports: await count("reports") });
const buttonsIn = (card: any): string[] => JSON.stringify(card).match(/"tag":"button"/g) ?? [];

const yuzhongBytes = () => new Uint8Array(readFileSync(YUZHONG));

describe("a plan file sent to the bot", () => {
  it("from someone who is not an admin or supervisor is refused with who can import, and nothing is kept", async () => {
    const member = await demoOpenIdForUnit("重庆市大足区", "区卫生健康委");
    const [answer] = await sendFile(member, "渝中方案.txt", yuzhongBytes());
    expect(textOf(answer!)).toContain("只有管理员和督办室可以导入方案");
    expect(await count("pending_imports")).toBe(0);
    expect(lark.requests.some((r) => r.path.includes("/resources/"))).toBe(false);
  });

  it("of an unsupported type gets a card that says which types work; it is not even downloaded, and nothing is stored", async () => {
    const stored = await storedCounts();
    const downloads = lark.requests.filter((r) => r.path.includes("/resources/")).length;
    for (const name of ["方案.zip", "方案.doc", "方案"]) {
      const sent = await sendFile(ADMIN, name, new Uint8Array([0x50, 0x4b, 3, 4]));
      expect(sent).toHaveLength(1);
      const text = textOf(sent[0]!);
      expect(text).toContain("无法导入该文件");
      expect(text).toContain(name);
      expect(text).toContain("只能导入 .docx、.xlsx、.pdf 或 .txt 格式的方案文件");
    }
    expect(lark.requests.filter((r) => r.path.includes("/resources/")).length).toBe(downloads);
    expect(await storedCounts()).toEqual(stored);
  });

  it("over the size cap gets a card naming the cap, whether the download declares its size or not, and nothing is stored", async () => {
    const stored = await storedCounts();
    // A real plan's text padded past 20 MB: refused for its size, never parsed.
    const big = new Uint8Array(MAX_IMPORT_BYTES + 1);
    big.set(yuzhongBytes());
    for (const chunked of [false, true]) {
      const sent = await sendFile(ADMIN, "渝中方案（含附件）.txt", big, { chunked });
      expect(sent).toHaveLength(1);
      const text = textOf(sent[0]!);
      expect(text).toContain("无法导入该文件");
      expect(text).toContain("渝中方案（含附件）.txt");
      expect(text).toContain(`文件超过 ${MAX_IMPORT_BYTES / 1024 / 1024} MB，无法导入`);
      expect(buttonsIn(cardOf(sent[0]!))).toEqual([]);
    }
    // Exactly at the cap is downloaded and handed to the reader, which answers for itself (NUL padding is binary).
    const atCap = textOf((await sendFile(ADMIN, "渝中方案.txt", big.subarray(0, MAX_IMPORT_BYTES)))[0]!);
    expect(atCap).not.toContain("文件超过");
    expect(atCap).toContain("无法作为文本读取");
    expect(await storedCounts()).toEqual(stored);
  });

  it("that the readers cannot read gets the reader's reason on its card, and nothing is stored", async () => {
    const [answer] = await sendFile(ADMIN, "方案.xlsx", new Uint8Array(readFileSync("test/fixtures/files/encrypted.xlsx")));
    const text = textOf(answer!);
    expect(text).toContain("无法导入该文件");
    expect(text).toContain("方案.xlsx");
    expect(await count("pending_imports")).toBe(0);
  });

  it("that holds no measures is refused, and nothing is stored", async () => {
    const [answer] = await sendFile(ADMIN, "通知.txt", new TextEncoder().encode("关于召开全区卫生健康工作会议的通知\n请各单位准时参加。"));
    expect(textOf(answer!)).toContain("没有识别出任何措施");
    expect(await count("pending_imports")).toBe(0);
  });

  it("is downloaded through the message resource API and previewed; 取消 stores nothing", async () => {
    const plans = await count("plans");
    const tasks = await count("tasks");
    const [preview] = await sendFile(ADMIN, "渝中区医疗卫生服务体系.txt", yuzhongBytes());
    const download = lark.requests.filter((r) => r.path.includes("/resources/")).at(-1)!;
    expect(download.method).toBe("GET");
    expect(download.query["type"]).toBe("file");
    const text = textOf(preview!);
    expect(text).toContain("方案导入预览");
    expect(text).toContain("识别出 19 项措施");
    expect(text).toContain("28 个量化指标");
    expect(text).toMatch(/牵头：区卫健委/);
    expect(text).toMatch(/新建 \d+ 个/);
    expect(await count("plans")).toBe(plans);
    expect(await count("tasks")).toBe(tasks);
    const res = await click(ADMIN, buttonValue(cardOf(preview!), "取消"));
    expect(res.card?.data.header.title.content).toBe("已取消导入");
    expect(lintCard(res.card!.data).problems).toEqual([]);
    expect(await count("plans")).toBe(plans);
    expect(await count("tasks")).toBe(tasks);
    const again = await click(ADMIN, buttonValue(cardOf(preview!), "确认导入"));
    expect(again.toast?.content).toContain("已取消");
    expect(await count("plans")).toBe(plans);
  });

  it("is stored on 确认导入 (once, however often it is clicked), and its units see it in /我的任务", async () => {
    const plans = await count("plans");
    const [preview] = await sendFile(ADMIN, "渝中区医疗卫生服务体系.txt", yuzhongBytes());
    const confirm = buttonValue(cardOf(preview!), "确认导入");
    const member = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
    const notAdmin = await click(member, confirm);
    expect(notAdmin.toast?.content).toContain("只有管理员和督办室");
    expect(await count("plans")).toBe(plans);
    const res = await click(ADMIN, confirm);
    expect(res.toast).toEqual({ type: "success", content: "方案已导入" });
    expect(renderCard(res.card!.data)).toContain("19 项措施");
    expect(lintCard(res.card!.data).problems).toEqual([]);
    expect(await count("plans")).toBe(plans + 1);
    expect((await click(ADMIN, confirm)).toast?.content).toBe("该方案已导入");
    expect(await count("plans")).toBe(plans + 1);

    const unit = await bot.store.db.selectFrom("units").selectAll().where("jurisdiction", "=", "重庆市渝中区").where("name", "=", "区卫健委").executeTakeFirstOrThrow();
    await bot.store.db.insertInto("members").values({ open_id: member, unit_id: unit.id, role: "member", name: null, created_at: "2026-11-24" }).execute();
    const [tasks] = await say(member, "/我的任务");
    expect(textOf(tasks!)).toContain("家庭医生签约服务重点人群覆盖率");
  });

  it("revised, previews what changes and how many reports sit on retired indicators, and keeps every report", async () => {
    const db = bot.store.db;
    const plan = await db.selectFrom("plans").selectAll().where("jurisdiction", "=", "重庆市渝中区").executeTakeFirstOrThrow();
    const ind = (name: string) =>
      db.selectFrom("indicators").innerJoin("tasks", "tasks.id", "indicators.task_id").select(["indicators.id", "indicators.retired_at", "indicators.target"])
        .where("tasks.plan_id", "=", plan.id).where("indicators.name", "=", name).executeTakeFirstOrThrow();
    const elderly = await ind("老年友善医疗机构比例");
    const unitId = (await db.selectFrom("units").select("id").where("jurisdiction", "=", "重庆市渝中区").where("name", "=", "区卫健委").executeTakeFirstOrThrow()).id;
    await db.insertInto("reports").values([
      { indicator_id: elderly.id, unit_id: unitId, period: "2026Q3", value: 70, reporter_open_id: "ou_r", reported_at: "2026-10-01T00:00:00Z", note: null, request_key: null },
      { indicator_id: elderly.id, unit_id: unitId, period: "2026Q4", value: 75, reporter_open_id: "ou_r", reported_at: "2026-11-01T00:00:00Z", note: null, request_key: null },
    ]).execute();
    const reports = await count("reports");

    const revised = readFileSync(YUZHONG, "utf8").replaceAll("达到81%", "达到85%").replaceAll(",老年友善医疗机构比例达到90%", "");
    const [preview] = await sendFile(ADMIN, "渝中区医疗卫生服务体系（修订）.txt", new TextEncoder().encode(revised));
    const text = textOf(preview!);
    expect(text).toContain("方案修订预览");
    expect(text).toMatch(/家庭医生签约服务重点人群覆盖率：≥81%（2027年） → ≥85%（2027年）/);
    expect(text).toMatch(/停用 \[10\] 老年友善医疗机构比例（已有 2 条填报）/);
    expect(text).toContain("停用的指标上有 2 条填报记录：全部保留");
    expect((await ind("家庭医生签约服务重点人群覆盖率")).target).toBe(81);

    const res = await click(ADMIN, buttonValue(cardOf(preview!), "确认导入"));
    expect(res.toast?.content).toBe("方案已更新");
    expect((await ind("家庭医生签约服务重点人群覆盖率")).target).toBe(85);
    expect((await ind("老年友善医疗机构比例")).retired_at).not.toBeNull();
    expect(await count("reports")).toBe(reports);
    expect(await db.selectFrom("plans").select("id").where("jurisdiction", "=", "重庆市渝中区").execute()).toHaveLength(1);
  });

  it("as a .docx is previewed from the Word tables and, confirmed, reaches /我的任务 of its units", async () => {
    const [preview] = await sendFile(ADMIN, "基层卫生服务能力提升实施方案.docx", new Uint8Array(readFileSync("test/fixtures/files/plan.docx")));
    const text = textOf(preview!);
    expect(text).toContain("方案导入预览");
    expect(text).toContain("某某区基层卫生服务能力提升实施方案");
    expect(text).toContain("发文单位：某某区人民政府办公室");
    const res = await click(ADMIN, buttonValue(cardOf(preview!), "确认导入"));
    expect(res.toast).toEqual({ type: "success", content: "方案已导入" });
    const member = await demoOpenIdForUnit("某某区", "区卫健委");
    const unit = await bot.store.db.selectFrom("units").selectAll().where("jurisdiction", "=", "某某区").where("name", "=", "区卫健委").executeTakeFirstOrThrow();
    await bot.store.db.insertInto("members").values({ open_id: member, unit_id: unit.id, role: "member", name: null, created_at: "2026-11-24" }).execute();
    const [tasks] = await say(member, "/我的任务");
    expect(textOf(tasks!)).toContain("甲级社区卫生服务中心");
  });

  it("as the 台账 workbook with one target edited, previews exactly that change and applies it on 确认导入", async () => {
    const db = bot.store.db;
    const plan = await db.selectFrom("plans").selectAll().where("jurisdiction", "=", "重庆市渝中区").executeTakeFirstOrThrow();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from((await exportLedger(db, { planId: plan.id }, new Date())).bytes!) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(SHEETS.indicators)!;
    const header = (ws.getRow(1).values as unknown[]).map(String);
    let row = 0;
    ws.eachRow((r, n) => {
      if (!row && r.getCell(header.indexOf("指标名称")).value === "家庭医生签约服务重点人群覆盖率") row = n;
    });
    ws.getCell(row, header.indexOf("目标值")).value = 88;
    const bytes = new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer);
    const tasks = await count("tasks");
    const [preview] = await sendFile(ADMIN, "渝中台账（修改）.xlsx", bytes);
    const text = textOf(preview!);
    expect(text).toContain("台账工作簿：按单元格原样读取");
    expect(text).toContain("方案修订预览");
    expect(text).toMatch(/措施：新增 0、修改 0、停用 0/);
    expect(text).toMatch(/指标：新增 0、修改 1、停用 0/);
    expect(text).toMatch(/家庭医生签约服务重点人群覆盖率：≥85%（2027年） → ≥88%（2027年）/);
    const res = await click(ADMIN, buttonValue(cardOf(preview!), "确认导入"));
    expect(res.toast?.content).toBe("方案已更新");
    const ind = await db.selectFrom("indicators").innerJoin("tasks", "tasks.id", "indicators.task_id").select("indicators.target")
      .where("tasks.plan_id", "=", plan.id).where("indicators.name", "=", "家庭医生签约服务重点人群覆盖率").executeTakeFirstOrThrow();
    expect(ind.target).toBe(88);
    expect(await count("tasks")).toBe(tasks);

    ws.getCell(row, header.indexOf("目标值")).value = "九十";
    const [refused] = await sendFile(ADMIN, "渝中台账（填错）.xlsx", new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer));
    expect(textOf(refused!)).toMatch(/无法导入该文件[\s\S]*指标 第 \d+ 行：目标值应为数字（现为“九十”）/);
  });

  it("as the 台账 workbook with 填报频次 edited, previews each frequency change, says which one stays because values are reported, and applies only that", async () => {
    const db = bot.store.db;
    const plan = await db.selectFrom("plans").selectAll().where("jurisdiction", "=", "重庆市渝中区").executeTakeFirstOrThrow();
    const ind = (name: string) =>
      db.selectFrom("indicators").innerJoin("tasks", "tasks.id", "indicators.task_id").select(["indicators.id", "indicators.period", "indicators.target"])
        .where("tasks.plan_id", "=", plan.id).where("indicators.name", "=", name).where("indicators.retired_at", "is", null).executeTakeFirstOrThrow();
    const centres = await ind("甲级中心数");
    expect([(await ind("家庭医生签约服务重点人群覆盖率")).period, centres.period]).toEqual(["quarter", "quarter"]);
    const unitId = (await db.selectFrom("units").select("id").where("jurisdiction", "=", "重庆市渝中区").where("name", "=", "区卫健委").executeTakeFirstOrThrow()).id;
    await db.insertInto("reports").values({ indicator_id: centres.id, unit_id: unitId, period: "2026Q4", value: 3, reporter_open_id: "ou_r", reported_at: "2026-11-01T00:00:00Z", note: null, request_key: null }).execute();

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from((await exportLedger(db, { planId: plan.id }, new Date())).bytes!) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(SHEETS.indicators)!;
    const header = (ws.getRow(1).values as unknown[]).map(String);
    const rowOf = (name: string) => {
      let row = 0;
      ws.eachRow((r, n) => {
        if (!row && r.getCell(header.indexOf("指标名称")).value === name) row = n;
      });
      return row;
    };
    ws.getCell(rowOf("家庭医生签约服务重点人群覆盖率"), header.indexOf("填报频次")).value = "月";
    ws.getCell(rowOf("甲级中心数"), header.indexOf("填报频次")).value = "年度";
    const [preview] = await sendFile(ADMIN, "渝中台账（改频次）.xlsx", new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer));
    const text = textOf(preview!);
    expect(text).toContain("方案修订预览");
    // Only the unreported indicator changes; the reported one is listed with why it keeps its quarters.
    expect(text).toMatch(/指标：新增 0、修改 1、停用 0/);
    expect(text).toMatch(/\[9\] 家庭医生签约服务重点人群覆盖率：按季度填报 → 按月填报\n/);
    expect(text).toMatch(/\[1\] 甲级中心数：‹?文件改为按年度填报，但已有 1 条填报，仍按季度填报/);

    const res = await click(ADMIN, buttonValue(cardOf(preview!), "确认导入"));
    expect(res.toast?.content).toBe("方案已更新");
    expect((await ind("家庭医生签约服务重点人群覆盖率")).period).toBe("month");
    expect((await ind("甲级中心数")).period).toBe("quarter");
    expect((await db.selectFrom("reports").select("period").where("indicator_id", "=", centres.id).execute()).map((r) => r.period)).toEqual(["2026Q4"]);
  });

  it("sends its 核对表 on 导出核对表: the parse as a workbook which, corrected and sent back, is previewed as corrected", async () => {
    const [preview] = await sendFile(ADMIN, "基层方案（核对）.docx", new Uint8Array(readFileSync("test/fixtures/files/plan.docx")));
    const uploads = lark.uploads.size;
    const before = lark.sends().length;
    const res = await click(ADMIN, buttonValue(cardOf(preview!), "导出核对表"));
    expect(res.toast?.content).toContain("核对表已发送");
    await bot.worker!.kick();
    const [fileMsg] = lark.sends().slice(before);
    expect(fileMsg!.body).toMatchObject({ receive_id: "oc_chat", msg_type: "file" });
    expect(lark.uploads.size).toBe(uploads + 1);
    const up = lark.uploads.get((JSON.parse(fileMsg!.body.content) as { file_key: string }).file_key)!;
    expect(up.name).toBe("核对表-基层方案（核对）.xlsx");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(up.bytes) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(SHEETS.measures)!;
    const header = (ws.getRow(1).values as unknown[]).map(String);
    expect(ws.getCell(2, header.indexOf("牵头单位")).value).toBe("区卫健委");
    ws.getCell(2, header.indexOf("牵头单位")).value = "区民政局";
    const [again] = await sendFile(ADMIN, up.name, new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer));
    const text = textOf(again!);
    expect(text).toContain("台账工作簿：按单元格原样读取");
    expect(text).toMatch(/\[1\][^\n]*\n\s*牵头：区民政局/);
    expect(await count("pending_imports")).toBeGreaterThan(0);
  });
});

/** The options of the preview's 是否为已有方案的修订版 drop-down. */
function planOptions(card: any): { value: string; text: string }[] {
  const form = card.body.elements.find((e: any) => e.tag === "form" && e.name === "revises_form");
  if (!form) return [];
  const select = form.elements.find((e: any) => e.tag === "select_static");
  return select.options.map((o: any) => ({ value: o.value, text: o.text.content }));
}

describe("a plan file the admin says revises a stored plan", () => {
  it("whose title matches none is compared with the plan picked on the card; an unknown number is refused; 确认导入 updates that plan", async () => {
    const db = bot.store.db;
    const yz = await db.selectFrom("plans").selectAll().where("jurisdiction", "=", "重庆市渝中区").executeTakeFirstOrThrow();
    const text = readFileSync(YUZHONG, "utf8").replace("》的工作措施\n", "》的工作措施（修订稿）\n").replaceAll("引进紧缺卫生专业技术人才200名", "引进紧缺卫生专业技术人才250名");
    const [preview] = await sendFile(ADMIN, "渝中工作措施（修订稿）.txt", new TextEncoder().encode(text));
    const first = textOf(preview!);
    expect(first).toContain("方案导入预览");
    expect(first).toContain("的工作措施（修订稿）");
    expect(first).toContain("是否为已有方案的修订版？");
    // Plans of the file's jurisdiction come first in the drop-down.
    expect(planOptions(cardOf(preview!))[0]).toEqual({ value: String(yz.id), text: `${yz.title.slice(0, 29)}…（编号 ${yz.id}）` });
    const pick = buttonValue(cardOf(preview!), "按所选方案比对");
    const stored = await storedCounts();

    // A number that is no plan, text that is no number, nothing chosen, or a member choosing: refused, card kept.
    const unknown = await click(ADMIN, pick, { formValue: { revises_id: "9999" } });
    expect(unknown.toast).toEqual({ type: "error", content: expect.stringContaining("没有编号为 9999 的方案，未做任何修改") });
    expect(unknown.card).toBeUndefined();
    expect((await click(ADMIN, pick, { formValue: { revises_id: "渝中" } })).toast?.content).toBe("方案编号应为数字，例如 6（现为“渝中”）");
    expect((await click(ADMIN, pick)).toast?.content).toBe("请先在下拉列表中选择方案，或填写方案编号");
    const member = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
    expect((await click(member, pick, { formValue: { revises_pick: String(yz.id) } })).toast?.content).toContain("只有管理员和督办室");
    expect(await storedCounts()).toEqual(stored);

    const res = await click(ADMIN, pick, { formValue: { revises_pick: String(yz.id) } });
    expect(res.toast).toEqual({ type: "info", content: `已改为与方案 ${yz.id} 比对，确认前不会保存` });
    expect(lintCard(res.card!.data).problems).toEqual([]);
    const diff = renderCard(res.card!.data);
    expect(diff).toContain("方案修订预览");
    expect(diff).toContain(`已指定：按方案 ${yz.id} 的修订版比对`);
    expect(diff).toContain(`这是已有方案（编号 ${yz.id}，`);
    expect(diff).toContain("方案名称和地区保持不变（文件中的标题为“渝中区贯彻落实《重庆市进一步完善医疗卫生服务体系实施方案》的工作措施（修订稿）”）。");
    expect(diff).toMatch(/\[5\] 引进紧缺卫生专业技术人才数：≥200名（2027年） → ≥250名（2027年）/);
    // The drop-down now offers the other plans, not the one compared with.
    expect(planOptions(res.card!.data).map((o) => o.value)).not.toContain(String(yz.id));
    expect(await storedCounts()).toEqual(stored);

    // 改回按文件标题比对: the file is a new plan again, and its 确认导入 says nothing about another plan.
    const back = await click(ADMIN, buttonValue(res.card!.data, "改回按文件标题比对"));
    expect(back.toast?.content).toBe("已改回按文件标题比对");
    expect(renderCard(back.card!.data)).toContain("方案导入预览");
    expect(buttonValue(back.card!.data, "确认导入")["revises"]).toBeUndefined();

    const again = await click(ADMIN, buttonValue(back.card!.data, "按所选方案比对"), { formValue: { revises_id: `方案 ${yz.id}` } });
    const done = await click(ADMIN, buttonValue(again.card!.data, "确认导入"));
    expect(done.toast).toEqual({ type: "success", content: "方案已更新" });
    expect(renderCard(done.card!.data)).toContain(`（方案编号 ${yz.id}）`);
    expect((await storedCounts()).plans).toBe(stored.plans);
    const plan = await db.selectFrom("plans").selectAll().where("id", "=", yz.id).executeTakeFirstOrThrow();
    expect([plan.title, plan.source_file]).toEqual([yz.title, "渝中工作措施（修订稿）.txt"]);
    const talent = await db.selectFrom("indicators").innerJoin("tasks", "tasks.id", "indicators.task_id").select("indicators.target")
      .where("tasks.plan_id", "=", yz.id).where("indicators.name", "=", "引进紧缺卫生专业技术人才数").executeTakeFirstOrThrow();
    expect(talent.target).toBe(250);
  });

  it("lists at most 20 plans in the drop-down, says how many are left out, and reaches any of them by its number", async () => {
    const db = bot.store.db;
    await db.insertInto("plans").values(Array.from({ length: 25 }, (_, k) => ({
      jurisdiction: "某某县", title: `某某县第${k + 1}号工作方案`, issuer: null, issued_on: null, source_file: `${k + 1}.txt`, source_hash: `h${k + 1}`, imported_at: "2026-01-01T00:00:00Z",
    }))).execute();
    const total = await count("plans");
    // The unchanged 渝中 file is a revision by title: the card offers every other plan, 20 of them.
    const [preview] = await sendFile(ADMIN, "渝中区医疗卫生服务体系.txt", yuzhongBytes());
    const text = textOf(preview!);
    expect(text).toContain("比对的方案不对？");
    expect(text).toContain(`下拉列表列出 20 个方案（本地区的在前），另有 ${total - 1 - 20} 个未列出：请填写方案编号`);
    const options = planOptions(cardOf(preview!));
    expect(options).toHaveLength(20);
    const unlisted = await db.selectFrom("plans").select(["id", "title"]).where("id", "not in", options.map((o) => Number(o.value))).where("jurisdiction", "=", "某某县").executeTakeFirstOrThrow();
    const stored = await storedCounts();
    // A typed number wins over the drop-down.
    const res = await click(ADMIN, buttonValue(cardOf(preview!), "按所选方案比对"), { formValue: { revises_pick: options[0]!.value, revises_id: String(unlisted.id) } });
    expect(res.toast?.content).toBe(`已改为与方案 ${unlisted.id} 比对，确认前不会保存`);
    const diff = renderCard(res.card!.data);
    expect(lintCard(res.card!.data).problems).toEqual([]);
    expect(diff).toContain(`已指定：按方案 ${unlisted.id} 的修订版比对`);
    expect(diff).toContain(`**${unlisted.title}**`.replaceAll("**", ""));
    expect(diff).toMatch(/措施：新增 19、修改 0、停用 0/);
    expect(await storedCounts()).toEqual(stored);
    await click(ADMIN, buttonValue(res.card!.data, "取消"));
    expect(await storedCounts()).toEqual(stored);
  });
});
