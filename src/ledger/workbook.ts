/**
 * @module The 台账 workbook: the ledger as an .xlsx a 督查室 opens in Excel or WPS, files and sends around.
 * Built with exceljs (no hand-written XML). Numbers are numbers, dates are dates (China time), every sheet has a
 * frozen header row and frozen identifying columns, an auto-filter and column widths sized for Chinese text; statuses
 * are coloured.
 */
import ExcelJS from "exceljs";
import { STATUS_LABEL, type IndicatorStatus } from "../domain/status.js";
import { PERIOD_NAME } from "../domain/period.js";
import type { ParsedPlan } from "../importer/types.js";
import type { Cmp } from "../store/schema.js";
import type { Ledger, LedgerIndicator } from "./data.js";

/** Sheet names, in order; the read-back (and tests) find sheets by these names. */
export const SHEETS = {
  readme: "说明",
  plans: "方案",
  measures: "措施",
  indicators: "指标",
  retired: "已停用指标",
  reports: "填报记录",
  supervision: "督办记录",
} as const;

const SUPERVISION_KIND: Record<string, string> = { reminder: "提醒", cuiban: "催办", urgent: "加急", tongbao: "通报", report: "上报" };

export const CMP_LABEL: Record<Cmp, string> = { ">=": "≥", "<=": "≤", "=": "=" };

/** Fill colours (ARGB) per status: the same meaning as the card colours, light enough to print. */
const solid = (argb: string): ExcelJS.Fill => ({ type: "pattern", pattern: "solid", fgColor: { argb } });

const STATUS_FILL: Record<IndicatorStatus, string> = {
  achieved: "FFC6EFCE",
  on_track: "FFDDEBF7",
  behind: "FFFFEB9C",
  not_reported: "FFEDEDED",
  overdue: "FFFFC7CE",
};

interface Column {
  header: string;
  key: string;
  /** Width cap in Excel character units; long text wraps instead. */
  max?: number;
  /** Width floor, for sheets that start empty (the template) and are typed into. */
  min?: number;
  numFmt?: string;
  wrap?: boolean;
}

/** Display width of text in Excel character units: CJK and full-width characters take two. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

/** 8 hours ahead: exceljs writes a Date as its UTC wall time, and officials read China time. */
const CHINA_OFFSET_MS = 8 * 3600_000;
export function chinaDate(iso: string | null): Date | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms + CHINA_OFFSET_MS) : null;
}

/** A calendar date (2027-12-31) as an Excel date; anything else stays text. */
function calendarDate(s: string | null): Date | string | null {
  if (!s) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : s;
}

/**
 * Adds a data sheet. `frozenThrough` names the last identifying column (编号, 指标名称, 单位 …): it and every column
 * before it stay in view with the header row, so a 督查室 scrolling right across a wide sheet still sees which
 * measure, indicator or unit a cell belongs to.
 */
function addSheet(wb: ExcelJS.Workbook, name: string, columns: Column[], rows: Record<string, unknown>[], frozenThrough: string): ExcelJS.Worksheet {
  const xSplit = columns.findIndex((c) => c.header === frozenThrough) + 1;
  if (xSplit === 0) throw new Error(`sheet ${name}: no column ${frozenThrough} to freeze through`);
  // Printed or saved as PDF (the 台账 is filed on paper): A4 landscape, every column on one page width, header on each page.
  const ws = wb.addWorksheet(name, {
    views: [{ state: "frozen", xSplit, ySplit: 1 }],
    pageSetup: { paperSize: 9, orientation: "landscape", fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: "1:1" },
  });
  ws.columns = columns.map((c) => ({ header: c.header, key: c.key }));
  for (const r of rows) ws.addRow(r);
  const header = ws.getRow(1);
  header.font = { bold: true };
  header.alignment = { vertical: "middle" };
  header.fill = solid("FFD9E1F2");
  columns.forEach((c, k) => {
    const col = ws.getColumn(k + 1);
    let width = displayWidth(c.header);
    // Sizing from the first rows is enough and keeps large exports fast.
    for (const r of rows.slice(0, 500)) {
      const v = r[c.key];
      const text = v instanceof Date ? "2026-11-24 10:00" : v === null || v === undefined ? "" : String(v);
      width = Math.max(width, displayWidth(text));
    }
    col.width = Math.min(c.max ?? 40, Math.max(c.min ?? 0, width + 2));
    if (c.numFmt) col.numFmt = c.numFmt;
    // Top-aligned, so a row made tall by a wrapped measure still reads across.
    col.alignment = c.wrap ? { wrapText: true, vertical: "top" } : { vertical: "top" };
  });
  header.alignment = { vertical: "middle" };
  fitWrappedRows(ws, columns, rows);
  if (rows.length > 0) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return ws;
}

/** Approximate width for line counting: a CJK or full-width character takes two units (cheap: runs on every row). */
function roughWidth(text: string): number {
  let w = 0;
  for (let k = 0; k < text.length; k++) w += text.charCodeAt(k) >= 0x2e80 ? 2 : 1;
  return w;
}

/**
 * Row heights for wrapped text. LibreOffice (and Excel for a file it did not save) shows a row without a stored
 * height as one line, so long measures would print cut off; the height is set from the longest wrapped cell.
 */
function fitWrappedRows(ws: ExcelJS.Worksheet, columns: Column[], rows: Record<string, unknown>[]) {
  const wrapped = columns.map((c, k) => ({ key: c.key, width: ws.getColumn(k + 1).width ?? 10, wrap: c.wrap })).filter((c) => c.wrap);
  if (wrapped.length === 0) return;
  rows.forEach((r, n) => {
    let lines = 1;
    for (const c of wrapped) {
      const v = r[c.key];
      if (typeof v === "string" && v.length > 0) lines = Math.max(lines, Math.ceil(roughWidth(v) / Math.max(1, c.width - 1)));
    }
    if (lines > 1) ws.getRow(n + 2).height = Math.min(lines, 12) * 15;
  });
}

function colourStatus(ws: ExcelJS.Worksheet, key: string, statuses: (IndicatorStatus | null)[]) {
  const col = ws.getColumn(key);
  statuses.forEach((s, k) => {
    if (!s) return;
    col.worksheet.getCell(k + 2, col.number).fill = solid(STATUS_FILL[s]);
  });
}

const DATE = "yyyy-mm-dd";
const DATETIME = "yyyy-mm-dd hh:mm";

function indicatorRow(i: LedgerIndicator) {
  return {
    id: i.id,
    plan: i.planId,
    code: i.measureCode,
    name: i.name,
    uom: i.unitOfMeasure ?? "",
    cmp: CMP_LABEL[i.cmp],
    target: i.target,
    year: i.targetYear,
    baseline: i.baseline,
    baselineYear: i.baselineYear,
    frequency: PERIOD_NAME[i.frequency],
    latest: i.latestValue,
    latestPeriod: i.latestPeriod ?? "",
    status: STATUS_LABEL[i.status],
    units: i.reportingUnits.join("、"),
    reports: i.reports,
    quote: i.quote,
    retiredAt: chinaDate(i.retiredAt),
  };
}

/*
 * The columns a plan is written in, shared by the 台账 and the import workbook (template / 核对表): the read-back
 * (./read.ts) finds them by header, so one definition keeps what is written and what is read in step. The width
 * floors matter for the blank template, which is typed into.
 */
const PLAN_COLUMNS: Column[] = [
  { header: "方案标题", key: "title", max: 50, min: 50, wrap: true },
  { header: "发文单位", key: "issuer", max: 30, min: 24 },
  { header: "发文日期", key: "issued", numFmt: DATE, min: 12 },
  { header: "地区", key: "jurisdiction", max: 24, min: 16 },
];

const MEASURE_COLUMNS: Column[] = [
  { header: "章节", key: "section", max: 24, min: 16 },
  { header: "措施编号", key: "code" },
  { header: "措施标题", key: "title", max: 30, min: 20, wrap: true },
  { header: "措施内容", key: "text", max: 70, min: 50, wrap: true },
  { header: "牵头单位", key: "lead", max: 30, min: 20, wrap: true },
  { header: "配合单位", key: "support", max: 30, min: 20, wrap: true },
  { header: "完成时限", key: "deadline", numFmt: DATE, min: 12 },
  { header: "时限原文", key: "deadlineText", max: 20, min: 12 },
];

/** An indicator's target as written: measure, name, comparison, target, baseline, frequency. */
const TARGET_COLUMNS: Column[] = [
  { header: "措施编号", key: "code" },
  { header: "指标名称", key: "name", max: 36, min: 30, wrap: true },
  { header: "计量单位", key: "uom" },
  { header: "比较", key: "cmp" },
  { header: "目标值", key: "target" },
  { header: "目标年份", key: "year" },
  { header: "基期值", key: "baseline" },
  { header: "基期年份", key: "baselineYear" },
  { header: "填报频次", key: "frequency" },
];

const QUOTE_COLUMN: Column = { header: "原文", key: "quote", max: 60, min: 40, wrap: true };

const INDICATOR_COLUMNS: Column[] = [
  { header: "指标编号", key: "id" },
  { header: "方案编号", key: "plan" },
  ...TARGET_COLUMNS,
  { header: "最新值", key: "latest" },
  { header: "最新周期", key: "latestPeriod" },
  { header: "状态", key: "status" },
  { header: "填报单位", key: "units", max: 30, wrap: true },
  { header: "填报次数", key: "reports" },
  QUOTE_COLUMN,
];

/** The 说明 sheet: a bold title row, then label / text pairs. */
function addReadme(wb: ExcelJS.Workbook, lines: [string, string | Date | number][]): ExcelJS.Worksheet {
  const readme = wb.addWorksheet(SHEETS.readme);
  readme.columns = [{ width: 16 }, { width: 90 }];
  for (const [k, v] of lines) readme.addRow([k, v]);
  readme.getColumn(1).font = { bold: true };
  readme.getColumn(2).alignment = { wrapText: true, vertical: "top", horizontal: "left" };
  readme.getCell("A1").font = { bold: true, size: 14 };
  readme.getCell("B1").font = { bold: true, size: 14 };
  return readme;
}

/** Builds the workbook; returns the .xlsx bytes. */
export async function buildWorkbook(l: Ledger): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "督办助手";
  wb.created = l.generatedAt;

  const generated = chinaDate(l.generatedAt.toISOString())!;
  const lines: [string, string | Date | number][] = [
    ["督办台账", l.scopeLabel],
    ["导出时间", generated],
    ["方案", l.plans.length],
    ["措施", l.measures.length],
    ["指标", l.indicators.length],
    ["已停用指标", l.retired.length],
    ["填报记录", l.reports.length],
    ["督办记录", l.supervision.length],
    ["", ""],
    ["方案", "每个方案一行：编号、标题、发文单位、日期、导入时间。"],
    ["措施", "每项在办措施一行：牵头单位、配合单位、完成时限；状态取该措施各指标中最需要关注的一项。"],
    ["指标", "每个在用指标一行：目标（比较、目标值、目标年份）、基期、填报频次、最新填报值与周期、状态。"],
    ["已停用指标", "方案修订后不再使用的指标：保留全部填报历史，不再催报。"],
    ["填报记录", "全部填报历史（只增不改）：同一指标、单位、周期再次填报即为更正，“更正记录”指向被更正的那一条，以最新一次为准。"],
    ["督办记录", "提醒、催办、加急、通报的留痕（只增不改）：时间、发起人（系统提醒为“系统”）、对象、事项数与送达结果。"],
    ["状态颜色", "绿=已达标　蓝=进度正常　黄=进度滞后　灰=未填报　红=已逾期"],
    ["时间", "均为北京时间。"],
  ];
  addReadme(wb, lines).getCell("B2").numFmt = DATETIME;

  addSheet(
    wb,
    SHEETS.plans,
    [
      { header: "方案编号", key: "id" },
      ...PLAN_COLUMNS,
      { header: "来源文件", key: "file", max: 40 },
      { header: "导入时间", key: "imported", numFmt: DATETIME },
      { header: "措施数", key: "measures" },
      { header: "指标数", key: "indicators" },
    ],
    l.plans.map((p) => ({
      id: p.id,
      title: p.title,
      issuer: p.issuer ?? "",
      issued: calendarDate(p.issuedOn),
      jurisdiction: p.jurisdiction,
      file: p.sourceFile,
      imported: chinaDate(p.importedAt),
      measures: p.measures,
      indicators: p.indicators,
    })),
    "方案标题",
  );

  const measures = addSheet(
    wb,
    SHEETS.measures,
    [
      { header: "方案编号", key: "plan" },
      { header: "方案", key: "planTitle", max: 24 },
      ...MEASURE_COLUMNS,
      { header: "状态", key: "status" },
    ],
    l.measures.map((m) => ({
      plan: m.planId,
      planTitle: m.planTitle,
      section: m.section ?? "",
      code: m.code,
      title: m.title ?? "",
      text: m.text,
      lead: m.lead.join("、"),
      support: m.support.join("、"),
      deadline: calendarDate(m.deadline),
      deadlineText: m.deadlineText ?? "",
      status: m.status ? STATUS_LABEL[m.status] : "无量化指标",
    })),
    "措施编号",
  );
  colourStatus(measures, "status", l.measures.map((m) => m.status));

  const indicators = addSheet(wb, SHEETS.indicators, INDICATOR_COLUMNS, l.indicators.map(indicatorRow), "指标名称");
  colourStatus(indicators, "status", l.indicators.map((i) => i.status));
  // Every ledger indicator has a frequency; clearing it would silently turn it into the default.
  validateIndicatorInputs(indicators, Math.max(1, l.indicators.length), { frequencyRequired: true });

  addSheet(wb, SHEETS.retired, [...INDICATOR_COLUMNS, { header: "停用时间", key: "retiredAt", numFmt: DATETIME }], l.retired.map(indicatorRow), "指标名称");

  addSheet(
    wb,
    SHEETS.reports,
    [
      { header: "记录编号", key: "id" },
      { header: "指标编号", key: "indicator" },
      { header: "措施编号", key: "code" },
      { header: "指标名称", key: "name", max: 36 },
      { header: "填报单位", key: "unit", max: 30 },
      { header: "周期", key: "period" },
      { header: "数值", key: "value" },
      { header: "填报人", key: "reporter", max: 24 },
      { header: "填报时间", key: "at", numFmt: DATETIME },
      { header: "说明", key: "note", max: 40, wrap: true },
      { header: "更正记录", key: "correctionOf" },
    ],
    l.reports.map((r) => ({
      id: r.id,
      indicator: r.indicatorId,
      code: r.measureCode,
      name: r.indicatorName,
      unit: r.unit,
      period: r.period,
      value: r.value,
      reporter: r.reporter,
      at: chinaDate(r.reportedAt),
      note: r.note ?? "",
      correctionOf: r.correctionOf,
    })),
    "填报单位",
  );

  const record = addSheet(
    wb,
    SHEETS.supervision,
    [
      { header: "记录编号", key: "id" },
      { header: "时间", key: "at", numFmt: DATETIME },
      { header: "类别", key: "kind" },
      { header: "单位", key: "unit", max: 30 },
      { header: "发起人", key: "actor", max: 24 },
      { header: "对象", key: "recipients", max: 40, wrap: true },
      { header: "事项数", key: "items" },
      { header: "摘要", key: "summary", max: 60, wrap: true },
      { header: "送达成功", key: "sent" },
      { header: "送达失败", key: "failed" },
      { header: "失败原因", key: "error", max: 40, wrap: true },
    ],
    l.supervision.map((e) => ({
      id: e.id,
      at: chinaDate(e.at),
      kind: SUPERVISION_KIND[e.kind] ?? e.kind,
      unit: e.unit ?? "",
      actor: e.actor ?? "系统",
      recipients: e.recipients.join("、"),
      items: e.items,
      summary: e.summary,
      sent: e.sent,
      failed: e.failed,
      error: e.error ?? "",
    })),
    "单位",
  );
  // A failed delivery is what a review asks about first: mark the row.
  l.supervision.forEach((e, k) => {
    if (e.failed > 0) record.getCell(k + 2, 10).fill = solid(STATUS_FILL.overdue);
  });

  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}

const FREQ_LABEL = { month: "月", quarter: "季度", year: "年度" } as const;

/** Drop-downs where a typo would change the meaning: the comparison and the reporting frequency; targets numeric. */
function validateIndicatorInputs(ws: ExcelJS.Worksheet, rows: number, o: { frequencyRequired?: boolean } = {}) {
  const col = (h: string) => (ws.getRow(1).values as unknown[]).indexOf(h);
  const [cmp, freq, target] = [col("比较"), col("填报频次"), col("目标值")];
  for (let r = 2; r <= rows + 1; r++) {
    ws.getCell(r, cmp).dataValidation = { type: "list", allowBlank: false, formulae: ['"≥,≤,="'], showErrorMessage: true, errorTitle: "比较", error: "请选择 ≥、≤ 或 =" };
    ws.getCell(r, freq).dataValidation = { type: "list", allowBlank: !o.frequencyRequired, formulae: ['"月,季度,年度"'], showErrorMessage: true, errorTitle: "填报频次", error: "请选择 月、季度 或 年度" };
    ws.getCell(r, target).dataValidation = { type: "decimal", operator: "greaterThanOrEqual", allowBlank: false, formulae: [0], showErrorMessage: true, errorTitle: "目标值", error: "目标值应为不小于 0 的数字" };
  }
}

/**
 * The plan-import workbook: the blank 标准模板 a 督查室 fills in by hand for a plan that exists only on paper, or —
 * given a parse — the 核对表 of what the parser read, to check and correct. Either one sent back to the bot (or to
 * npm run import) is read cell by cell (./read.ts); its sheets and headers are those of the 台账.
 */
export async function buildPlanWorkbook(plan: ParsedPlan | null, o: { fileName?: string } = {}): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "督办助手";
  const lines: [string, string][] = [
    [plan ? "方案核对表" : "方案导入模板", plan ? `《${plan.title}》的识别结果${o.fileName ? `（来自 ${o.fileName}）` : ""}` : "没有电子文件的方案，按本模板填写后发给督办助手即可导入"],
    ["", ""],
    ["怎么用", plan ? "请逐项核对“方案”“措施”“指标”三张表，直接改正单元格；改好后把本文件发给督办助手，预览无误后点“确认导入”。" : "在“方案”表填一行方案信息，在“措施”表每项措施填一行，在“指标”表每个量化指标填一行；填好后把本文件发给督办助手，预览无误后点“确认导入”。"],
    [SHEETS.plans, "只填一行：方案标题、发文单位、发文日期（如 2026-03-01）、地区（如 重庆市渝中区，责任单位按地区区分）。"],
    [SHEETS.measures, "措施编号必填且不重复（如 1、2 或 （三）4）；措施内容、牵头单位必填；多个单位用顿号“、”分隔；完成时限填日期，或在“时限原文”写“长期坚持”等。"],
    [SHEETS.indicators, "措施编号填所属措施的编号；比较选 ≥、≤ 或 =；目标值只填数字（85% 填 85，单位写在“计量单位”）；目标年份填四位年份；填报频次选 月、季度 或 年度（不填按季度）。"],
    ["删改", "删除一行即删除该措施或指标；再次导入同名方案时，已删除的措施和指标停用，其填报记录全部保留。"],
  ];
  if (plan && plan.warnings.length > 0) {
    lines.push(["", ""], ["识别提示", `共 ${plan.warnings.length} 条，请重点核对：`]);
    for (const w of plan.warnings) lines.push(["", w]);
  }
  addReadme(wb, lines);

  addSheet(
    wb,
    SHEETS.plans,
    PLAN_COLUMNS,
    plan ? [{ title: plan.title, issuer: plan.issuer ?? "", issued: calendarDate(plan.issued), jurisdiction: plan.jurisdiction }] : [],
    "方案标题",
  );
  addSheet(
    wb,
    SHEETS.measures,
    MEASURE_COLUMNS,
    (plan?.tasks ?? []).map((t) => ({
      section: t.section ?? "",
      code: t.code,
      title: t.title ?? "",
      text: t.text,
      lead: t.lead.join("、"),
      support: t.support.join("、"),
      deadline: calendarDate(t.deadline),
      deadlineText: t.deadline_text ?? "",
    })),
    "措施编号",
  );
  const indRows = (plan?.tasks ?? []).flatMap((t) =>
    t.indicators.map((i) => ({
      code: t.code,
      name: i.name,
      uom: i.unit ?? "",
      cmp: CMP_LABEL[i.cmp],
      target: i.target,
      year: i.year,
      baseline: i.baseline,
      baselineYear: i.baseline_year,
      frequency: i.frequency ? FREQ_LABEL[i.frequency] : "",
      quote: i.quote,
    })),
  );
  const inds = addSheet(
    wb,
    SHEETS.indicators,
    [...TARGET_COLUMNS, QUOTE_COLUMN],
    indRows,
    "指标名称",
  );
  // A blank template gets its drop-downs on the first 200 rows, enough for any plan typed in by hand.
  validateIndicatorInputs(inds, Math.max(indRows.length, plan ? 1 : 200));
  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}
