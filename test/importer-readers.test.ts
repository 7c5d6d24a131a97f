import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import type { Table } from "../src/importer/document.js";
import { readSource } from "../src/importer/read/index.js";

const run = promisify(execFile);
const FILES = "test/fixtures/files";
const file = (name: string) => new Uint8Array(readFileSync(join(FILES, name)));

interface DryRun {
  title: string;
  tasks: { code: string; section: string | null; text: string; units: string[]; lead: string[]; support: string[]; deadline: string | null; indicators: { target: number; unit: string | null }[] }[];
}

/** The same command an admin runs: npm run import -- --dry-run --json FILE. */
async function dryRun(name: string): Promise<DryRun> {
  const { stdout } = await run("npm", ["run", "--silent", "import", "--", "--dry-run", "--json", join(FILES, name)]);
  return JSON.parse(stdout) as DryRun;
}

const tableIn = async (name: string) => (await readSource(file(name))).blocks.filter((b): b is Table => b.kind === "table");

describe("importer: Word files (.docx)", () => {
  it("keeps Word's merges: a cell merged down covers the rows below, a section row spans the width", async () => {
    const [t] = await tableIn("plan.docx");
    const cols = t!.grid[0]!.map((c) => c.text);
    expect(cols).toEqual(["序号", "重点任务", "具体措施", "牵头单位", "配合单位", "完成时限"]);
    const lead = cols.indexOf("牵头单位");
    // Rows 2 and 3 (measures 1 and 2) share one lead-unit cell that starts on row 2.
    expect(t!.grid[3]![lead]).toEqual({ text: t!.grid[2]![lead]!.text, origin: { row: 2, col: lead } });
    expect(t!.grid[2]![lead]!.text).not.toBe("");
    // The section row is one cell across all six columns.
    expect(new Set(t!.grid[1]!.map((c) => `${c.origin.row},${c.origin.col}`)).size).toBe(1);
  });

  it("imports end to end: automatic numbering, units in brackets, roles", async () => {
    const p = await dryRun("plan.docx");
    expect(p.title).toBe("某某区基层卫生服务能力提升实施方案");
    // "1." and "2." exist only as Word numbering, not in the paragraphs' text.
    expect(p.tasks.map((t) => t.code)).toEqual(["1", "2"]);
    expect(p.tasks[0]!.units).toEqual(["区卫健委", "区发改委", "各街道"]);
    expect(p.tasks[1]).toMatchObject({ lead: ["区大数据局"], support: ["区卫健委"] });
    expect(p.tasks[0]!.indicators[0]).toMatchObject({ target: 5, unit: "个" });
  });
});

/** A .docx the way Word itself writes one: bare <w:vMerge/> continues, Chinese list numbering, w:gridBefore. */
async function wordStyleDocx(): Promise<Uint8Array> {
  const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  const p = (text: string, num?: [number, number]) =>
    `<w:p>${num ? `<w:pPr><w:numPr><w:ilvl w:val="${num[1]}"/><w:numId w:val="${num[0]}"/></w:numPr></w:pPr>` : ""}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
  const tc = (text: string, pr = "") => `<w:tc><w:tcPr>${pr}</w:tcPr>${p(text)}</w:tc>`;
  const body = [
    p("某某县人民政府办公室"),
    p("2025年4月1日"),
    p("某某县医疗卫生服务体系建设实施方案"),
    p("重点任务", [1, 0]),
    p("强化县级医院", [1, 1]),
    p("提升县医院能力。到2026年，县医院达到三级医院水平1家。（责任单位：县卫健局）", [1, 2]),
    p("加强人才队伍", [1, 1]),
    p("引进紧缺人才20名。（责任单位：县人社局、县卫健局）", [1, 2]),
    `<w:tbl><w:tr>${tc("序号")}${tc("具体措施")}${tc("责任单位")}</w:tr>` +
      `<w:tr>${tc("1")}${tc("建设胸痛中心")}${tc("县卫健局", '<w:vMerge w:val="restart"/>')}</w:tr>` +
      `<w:tr>${tc("2")}${tc("建设卒中中心")}${tc("", "<w:vMerge/>")}</w:tr>` +
      `<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>${tc("合计两项", '<w:gridSpan w:val="2"/>')}</w:tr></w:tbl>`,
  ].join("");
  const lvl = (ilvl: number, fmt: string, text: string) =>
    `<w:lvl w:ilvl="${ilvl}"><w:start w:val="1"/><w:numFmt w:val="${fmt}"/><w:lvlText w:val="${text}"/></w:lvl>`;
  const zip = new JSZip();
  zip.file("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`);
  zip.file("word/document.xml", `<?xml version="1.0"?><w:document ${W}><w:body>${body}</w:body></w:document>`);
  zip.file(
    "word/numbering.xml",
    `<?xml version="1.0"?><w:numbering ${W}><w:abstractNum w:abstractNumId="0">${lvl(0, "chineseCounting", "%1、")}${lvl(1, "chineseCounting", "（%2）")}${lvl(2, "decimal", "%3.")}</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>`,
  );
  return zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
}

describe("importer: Word XML as Word writes it", () => {
  it("rebuilds 一、（一）1. numbering, restarting deeper levels, and reads bare vMerge and gridBefore", async () => {
    const doc = await readSource(await wordStyleDocx());
    const labels = doc.blocks.flatMap((b) => (b.kind === "paragraph" && b.label ? [b.label] : []));
    expect(labels).toEqual(["一、", "（一）", "1.", "（二）", "1."]);
    const t = doc.blocks.find((b): b is Table => b.kind === "table")!;
    expect(t.grid[2]![2]).toEqual({ text: "县卫健局", origin: { row: 1, col: 2 } });
    expect(t.grid[3]!.map((c) => c.text)).toEqual(["", "合计两项", "合计两项"]);
  });

  it("imports the measures numbered only by Word", async () => {
    const { parseFile } = await import("../src/importer/index.js");
    const p = await parseFile(await wordStyleDocx());
    expect(p.tasks.map((t) => [t.section, t.units])).toEqual([
      ["强化县级医院", ["县卫健局"]],
      ["加强人才队伍", ["县人社局", "县卫健局"]],
    ]);
  });
});

describe("importer: Excel files (.xlsx)", () => {
  it("reads every sheet, with the title row above the header as the plan's title", async () => {
    const p = await dryRun("plan.xlsx");
    expect(p.title).toBe("某某区基层卫生服务能力提升重点任务分解表");
    const byText = (s: string) => p.tasks.find((t) => t.text.includes(s));
    // Measure 2 has no lead unit of its own: its cell is merged into measure 1's; a 配合 cell that does not read as
    // an office (各镇街) no longer shifts measure 1's lead unit into the 配合 column.
    expect(byText("优化村卫生室设置")).toMatchObject({ lead: ["区卫健委"], support: ["各镇街"], deadline: "2026-12-31" });
    expect(byText("建设甲级卫生院")).toMatchObject({ lead: ["区卫健委"], support: ["区发改委"], deadline: "2027-12-31" });
    expect(byText("每万人口全科医生数")!.indicators[0]).toMatchObject({ target: 4.5, unit: "人" });
    // The second sheet's measures are there too.
    expect(byText("电子健康档案开放率")!.units).toEqual(["区卫健委"]);
    expect(p.tasks).toHaveLength(5);
  });

  it("keeps merged ranges in the document model", async () => {
    const tables = await tableIn("plan.xlsx");
    expect(tables).toHaveLength(2);
    const [t] = tables;
    const lead = t!.grid[0]!.findIndex((c) => c.text === "牵头单位");
    expect(t!.grid[3]![lead]!.origin).toEqual(t!.grid[2]![lead]!.origin);
  });
});

describe("importer: PDF files", () => {
  it("reads a PDF's text layer in reading order and imports the same measures as the Word original", async () => {
    const [pdf, docx] = await Promise.all([dryRun("plan.pdf"), dryRun("plan.docx")]);
    expect(pdf.title).toBe(docx.title);
    expect(pdf.tasks.length).toBeGreaterThan(0);
    expect(pdf.tasks.map((t) => [t.code, t.units, t.lead, t.support])).toEqual(docx.tasks.map((t) => [t.code, t.units, t.lead, t.support]));
  });

  it("refuses a scan without a text layer and a PDF cut off mid-download, each with its own reason", async () => {
    const { parseFile } = await import("../src/importer/index.js");
    await expect(parseFile(file("scanned.pdf"))).rejects.toMatchObject({ code: "no_text_layer", userText: expect.stringContaining("扫描件") });
    const whole = file("plan.pdf");
    await expect(parseFile(whole.subarray(0, whole.length >> 1))).rejects.toMatchObject({ code: "corrupt_file" });
  });
});
