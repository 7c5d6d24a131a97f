/**
 * @module The 台账 workbook read back: a workbook written by /导出 (or the blank template of `npm run export --
 * --template`), edited in Excel or WPS, becomes a ParsedPlan exactly as its cells say — a structured import, no
 * parsing guesswork. Columns are found by their header text, so a moved or hidden column still reads. Every
 * problem is reported with its sheet and row, in Chinese, and nothing is read from a workbook that has one.
 */
import type ExcelJS from "exceljs";
import { ImportError } from "../importer/errors.js";
import type { ParsedIndicator, ParsedPlan, ParsedTask } from "../importer/types.js";
import type { Cmp, ReportPeriodKind } from "../store/schema.js";
import { SHEETS } from "./workbook.js";

const CMP_OF: Record<string, Cmp> = { "≥": ">=", ">=": ">=", "＞=": ">=", "不低于": ">=", "≤": "<=", "<=": "<=", "不高于": "<=", "=": "=", "＝": "=" };
const FREQ_OF: Record<string, ReportPeriodKind> = { 月: "month", 月度: "month", 季度: "quarter", 季: "quarter", 年度: "year", 年: "year" };
const MAX_PROBLEMS = 8;

/** True when the workbook has the ledger's 措施 and 指标 sheets with their header rows. */
export function isLedgerWorkbook(wb: ExcelJS.Workbook): boolean {
  const m = wb.getWorksheet(SHEETS.measures);
  const i = wb.getWorksheet(SHEETS.indicators);
  return !!m && !!i && headerMap(m).has("措施编号") && headerMap(i).has("指标名称");
}

/** Plain text of a cell: rich text joined, formulas by their result, dates as YYYY-MM-DD. */
function text(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === "object") {
    if ("richText" in v) return v.richText.map((r) => r.text).join("").trim();
    if ("result" in v) return text(v.result as ExcelJS.CellValue);
    if ("text" in v) return String(v.text).trim();
    if ("error" in v) return "";
  }
  return String(v).trim();
}

function headerMap(ws: ExcelJS.Worksheet): Map<string, number> {
  const m = new Map<string, number>();
  ws.getRow(1).eachCell((cell, col) => {
    const h = text(cell.value);
    if (h && !m.has(h)) m.set(h, col);
  });
  return m;
}

interface Row {
  n: number;
  get(header: string): string;
  raw(header: string): ExcelJS.CellValue;
}

/** The sheet's data rows (blank rows skipped), with cells looked up by header. */
function rowsOf(ws: ExcelJS.Worksheet | undefined): Row[] {
  if (!ws) return [];
  const h = headerMap(ws);
  const out: Row[] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const raw = (header: string) => {
      const col = h.get(header);
      return col === undefined ? null : row.getCell(col).value;
    };
    const get = (header: string) => text(raw(header));
    if ([...h.keys()].every((k) => get(k) === "")) return;
    out.push({ n, get, raw });
  });
  return out;
}

const units = (s: string) => s.split(/[、，,；;\n]+/).map((u) => u.trim()).filter(Boolean);

function num(s: string): number | null {
  if (s === "") return null;
  const v = Number(s.replace(/[,，%％\s]/g, ""));
  return Number.isFinite(v) ? v : NaN;
}

/** A deadline cell: an Excel date or YYYY-MM-DD text becomes the date; other text stays as the deadline's words. */
function deadlineOf(raw: ExcelJS.CellValue, t: string): { deadline: string | null; text: string | null } {
  if (raw instanceof Date) return { deadline: raw.toISOString().slice(0, 10), text: null };
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  if (m) return { deadline: `${m[1]}-${m[2]!.padStart(2, "0")}-${m[3]!.padStart(2, "0")}`, text: null };
  return { deadline: null, text: t || null };
}

/**
 * Reads the one plan the workbook holds. Throws ImportError with every problem found (sheet and row) when a cell
 * cannot be read, when the workbook holds several plans, or when it is one unit's ledger (importing it would
 * retire every measure the unit does not share in).
 */
export function readLedgerWorkbook(wb: ExcelJS.Workbook): ParsedPlan {
  const problems: string[] = [];
  const readme = wb.getWorksheet(SHEETS.readme);
  const scope = readme ? text(readme.getCell("B1").value) : "";
  if (/牵头和配合的任务/.test(scope)) {
    throw new ImportError("unsupported_format", `这是单位台账（${scope}），只含该单位参与的措施，不能作为方案导入。请用 /导出 方案 编号 导出整个方案的台账，修改后再发给我。`);
  }
  const plans = rowsOf(wb.getWorksheet(SHEETS.plans));
  if (plans.length === 0) throw new ImportError("no_measures", `“${SHEETS.plans}”工作表没有填写方案：请填写方案标题、发文单位、发文日期和地区。`);
  if (plans.length > 1) {
    throw new ImportError("unsupported_format", `这份台账包含 ${plans.length} 个方案，一次只能导入一个。请用 /导出 方案 编号 分别导出，修改后逐个发给我。`);
  }
  const p = plans[0]!;
  const planId = p.get("方案编号");
  const title = p.get("方案标题");
  const jurisdiction = p.get("地区");
  if (!title) problems.push(`${SHEETS.plans} 第 ${p.n} 行：缺少方案标题`);
  if (!jurisdiction) problems.push(`${SHEETS.plans} 第 ${p.n} 行：缺少地区（如 重庆市渝中区），责任单位按地区区分`);
  const issued = deadlineOf(p.raw("发文日期"), p.get("发文日期")).deadline;
  const ours = (r: Row) => r.get("方案编号") === "" || r.get("方案编号") === planId;

  const tasks: ParsedTask[] = [];
  const sections: string[] = [];
  const byCode = new Map<string, ParsedTask>();
  for (const r of rowsOf(wb.getWorksheet(SHEETS.measures))) {
    if (!ours(r)) {
      problems.push(`${SHEETS.measures} 第 ${r.n} 行：方案编号 ${r.get("方案编号")} 不是本方案（${planId}）`);
      continue;
    }
    const code = r.get("措施编号");
    const body = r.get("措施内容");
    const lead = units(r.get("牵头单位"));
    const support = units(r.get("配合单位")).filter((u) => !lead.includes(u));
    if (!code) problems.push(`${SHEETS.measures} 第 ${r.n} 行：缺少措施编号`);
    else if (byCode.has(code)) problems.push(`${SHEETS.measures} 第 ${r.n} 行：措施编号 ${code} 重复`);
    if (!body) problems.push(`${SHEETS.measures} 第 ${r.n} 行：缺少措施内容`);
    if (lead.length === 0) problems.push(`${SHEETS.measures} 第 ${r.n} 行：缺少牵头单位`);
    const section = r.get("章节") || null;
    if (section && !sections.includes(section)) sections.push(section);
    const d = deadlineOf(r.raw("完成时限"), r.get("完成时限"));
    const title = r.get("措施标题") || null;
    const t: ParsedTask = {
      code,
      section,
      title,
      head: title ?? body,
      text: body,
      units: [...lead, ...support],
      lead,
      support,
      deadline: d.deadline,
      deadline_text: r.get("时限原文") || d.text,
      indicators: [],
    };
    if (code && !byCode.has(code)) byCode.set(code, t);
    tasks.push(t);
  }

  for (const r of rowsOf(wb.getWorksheet(SHEETS.indicators))) {
    if (!ours(r)) {
      problems.push(`${SHEETS.indicators} 第 ${r.n} 行：方案编号 ${r.get("方案编号")} 不是本方案（${planId}）`);
      continue;
    }
    const where = `${SHEETS.indicators} 第 ${r.n} 行`;
    const code = r.get("措施编号");
    const task = byCode.get(code);
    if (!task) {
      problems.push(`${where}：措施编号“${code}”在“${SHEETS.measures}”中不存在`);
      continue;
    }
    const name = r.get("指标名称");
    const cmp = CMP_OF[r.get("比较") || "≥"];
    const target = num(r.get("目标值"));
    const year = num(r.get("目标年份"));
    const baseline = num(r.get("基期值"));
    const baselineYear = num(r.get("基期年份"));
    const freq = r.get("填报频次");
    if (!name) problems.push(`${where}：缺少指标名称`);
    if (!cmp) problems.push(`${where}：比较应为 ≥、≤ 或 =（现为“${r.get("比较")}”）`);
    if (target === null || Number.isNaN(target)) problems.push(`${where}：目标值应为数字（现为“${r.get("目标值")}”）`);
    if (Number.isNaN(year) || (year !== null && !Number.isInteger(year))) problems.push(`${where}：目标年份应为四位年份（现为“${r.get("目标年份")}”）`);
    if (Number.isNaN(baseline)) problems.push(`${where}：基期值应为数字（现为“${r.get("基期值")}”）`);
    if (freq && !FREQ_OF[freq]) problems.push(`${where}：填报频次应为 月、季度 或 年度（现为“${freq}”）`);
    const i: ParsedIndicator = {
      name,
      target: target ?? 0,
      unit: r.get("计量单位") || null,
      cmp: cmp ?? ">=",
      year: year === null || Number.isNaN(year) ? null : year,
      baseline: baseline === null || Number.isNaN(baseline) ? null : baseline,
      baseline_year: baselineYear === null || Number.isNaN(baselineYear) ? null : baselineYear,
      // The quote is what officials are shown as the source; a row typed in by hand quotes itself.
      quote: r.get("原文") || name,
      ...(freq && FREQ_OF[freq] ? { frequency: FREQ_OF[freq] } : {}),
    };
    task.indicators.push(i);
  }
  if (tasks.length === 0) problems.push(`“${SHEETS.measures}”工作表没有任何措施`);
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS).join("\n");
    throw new ImportError(
      "no_measures",
      `台账有 ${problems.length} 处需要修改后才能导入：\n${shown}${problems.length > MAX_PROBLEMS ? `\n…另有 ${problems.length - MAX_PROBLEMS} 处` : ""}`,
    );
  }
  return {
    title,
    issuer: p.get("发文单位") || null,
    issued,
    jurisdiction,
    sections,
    tasks,
    warnings: [],
  };
}
