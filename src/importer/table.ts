import { trimEndChars } from "./scan.js";
import { stripPinyin, type CleanLine } from "./normalize.js";
import { looksLikeUnits } from "./units.js";

/**
 * Tables as they survive a copy to plain text. Two layouts occur:
 * - one row per line, cells separated by pipes ("| 1 | 建成… | 区卫健委 |") or tabs (turned into pipes by cleanLines);
 * - one cell per line, each cell marked by a leading tab or a trailing pipe; rows are separated by blank lines, or,
 *   when there are none, a row starts at its printed number (1, 2 …) or at a Chinese ordinal ("(一)") of a section row.
 * Both come out as a header and rows of cell strings; empty cells stay empty here (the caller decides what inherits).
 */
export interface Table {
  header: string[];
  rows: string[][];
  /** Index into the given lines just after the table. */
  end: number;
}

/**
 * What a column holds, read from its header by its parts: who is responsible (lead / support / plain units), persons
 * (领导, 责任人: never units), progress and remarks (进展, 完成情况, 说明: never targets), the row number, the deadline,
 * and text columns. Only a text column whose header names work (任务, 措施, 内容, 事项, 实事, 项目, 指标…) can hold measures.
 */
export type ColumnKind = "code" | "person" | "progress" | "lead" | "units" | "support" | "deadline" | "text";

export function columnKind(raw: string): ColumnKind {
  const h = squash(stripPinyin(raw));
  if (/^(序号|编号|序|号)$/.test(h)) return "code";
  if (/(领导|责任人|负责人|联系人)/.test(h)) return "person";
  if (/(进展|进度|完成情况|推进情况|落实情况|是否|说明|备注|达序|成效)/.test(h)) return "progress";
  if (/(单位|部门|主体|处室)$/.test(h) || /(单位|部门)/.test(h)) {
    if (/(配合|协同|协办|参与|协助)/.test(h) && !/^(牵头|主要|主责)/.test(h)) return "support";
    return /(牵头|主要|主责|主办)/.test(h) ? "lead" : "units";
  }
  if (/(时限|时间|节点|期限)/.test(h)) return "deadline";
  return "text";
}

const WORK_HEADER = /(任务|措施|内容|事项|实事|项目|指标|要点|工作)/;
/** A column of indicator names (指标名称) lists targets, not measures: such a table is an appendix of figures. */
const INDICATOR_NAME = /^(指标|指标名称|指标项|考核指标|主要指标)$/;
export const isWorkHeader = (h: string) => WORK_HEADER.test(h) && !INDICATOR_NAME.test(h);
const isUnitsKind = (k: ColumnKind) => k === "lead" || k === "units";
const SEPARATOR_ROW = /^\|?[\s|:：\-—－─]+\|?$/;
const ROW_START = /^(\d{1,3}|[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．]?)$/;

const squash = (s: string) => s.replace(/\s+/g, "");
/** A header as the column's name: no spaces, no pinyin annotations. */
export const headerName = (s: string) => squash(stripPinyin(s));

/** The cells of a line written as a whole row, or null when the line is not one (fewer than two filled cells). */
export function rowCells(t: string): string[] | null {
  if (!t.includes("|") || SEPARATOR_ROW.test(t)) return null;
  const cells = t.replace(/^\|/, "").replace(/\|\s*$/, "").split("|").map((c) => c.trim());
  return cells.filter(Boolean).length >= 2 ? cells : null;
}

/** A line holding a single cell of a cell-per-line table, with the empty cells its trailing pipes stand for. */
function cellOf(l: CleanLine): string[] | null {
  if (l.tab) return [trimEndChars(l.text, "|", true).trim()];
  if (!/\|\s*$/.test(l.text) || rowCells(l.text)) return null;
  const parts = l.text.replace(/\|\s*$/, "").split("|").map((c) => c.trim());
  return [parts[0] ?? "", ...parts.slice(1).map(() => "")];
}

/** A header row: short cells, one naming the responsible units and one naming the work. */
export function isHeaderRow(cells: string[]): boolean {
  // Long cells are data that a cell-per-line window ran into, not column names.
  const c = cells.map((x) => squash(stripPinyin(x))).filter((x) => x.length > 0 && x.length <= 16);
  if (c.length < 2) return false;
  const kinds = c.map(columnKind);
  return kinds.some(isUnitsKind) && c.some((x, k) => kinds[k] === "text" && isWorkHeader(x)) && !c.some((x) => INDICATOR_NAME.test(x));
}

/** Where a table with a units column and a measure column begins, or -1. */
export function findTableStart(lines: CleanLine[], from = 0): number {
  for (let k = from; k < lines.length; k++) {
    const l = lines[k]!;
    const row = rowCells(l.text);
    if (row) {
      if (isHeaderRow(row)) return k;
      continue;
    }
    if (!cellOf(l)) {
      if (bareHeaderAt(lines, k)) return k;
      continue;
    }
    const window: string[] = [];
    for (let j = k; j < Math.min(lines.length, k + 14); j++) {
      const c = cellOf(lines[j]!);
      if (c) window.push(...c);
      else if (lines[j]!.text) break;
    }
    if (isHeaderRow(window)) return k;
  }
  return -1;
}

export function readTableAt(lines: CleanLine[], start: number): Table {
  if (rowCells(lines[start]!.text)) return readRowPerLine(lines, start);
  const bare = bareHeaderAt(lines, start);
  return bare ? readBare(lines, bare) : readCellPerLine(lines, start);
}

const isBare = (l: CleanLine) => l.text.length > 0 && !l.tab && !l.text.includes("|");

/**
 * A table flattened with no delimiter at all: every cell a line of its own (blank lines between or not), the header a
 * run of short lines starting with 序号. Returns the header and where the body starts.
 */
function bareHeaderAt(lines: CleanLine[], k: number): { header: string[]; body: number } | null {
  if (!isBare(lines[k]!) || columnKind(lines[k]!.text) !== "code") return null;
  const header: string[] = [];
  let j = k;
  for (; j < lines.length && header.length < 12; j++) {
    const l = lines[j]!;
    if (!l.text) continue;
    if (!isBare(l) || l.text.length > 12 || /^\d/.test(l.text) || /^[一二三四五六七八九十]{1,3}[、.．]/.test(l.text)) break;
    header.push(headerName(l.text));
  }
  return header.length >= 3 && isHeaderRow(header) ? { header, body: j } : null;
}

const ROW_NUMBER = /^\d{1,3}[.、．]?$/;
const SECTION_LINE = /^([一二三四五六七八九十]{1,3}[、.．]|[(（][一二三四五六七八九十]{1,3}[)）])\s*(\S.*)$/;
const DEADLINE_CELL = /^(\d{1,2}月|20\d{2}年|年底|年内|年末|全年|长期|持续|\d{4}[-.]\d{1,2}|[一二三四]季度|上半年|下半年)/;

/**
 * Rows of a delimiter-free table: a row starts at its number, a Chinese-numbered line is a section row, and each
 * cell goes to the column its content fits (a deadline, a list of offices, or text) in header order. Several unit
 * lines fill one units column; text after the row's later columns is a second measure sharing the row's cells.
 */
function readBare(lines: CleanLine[], at: { header: string[]; body: number }): Table {
  const header = at.header;
  const kinds = header.map(columnKind);
  const rows: string[][] = [];
  let cur: string[] | null = null;
  let col = 0;
  const measureCol = kinds.findIndex((k, i) => k === "text" && isWorkHeader(header[i]!));
  const fresh = (code: string) => {
    cur = header.map(() => "");
    if (kinds[0] === "code") cur[0] = code;
    rows.push(cur);
    col = kinds[0] === "code" ? 1 : 0;
  };
  let k = at.body;
  for (; k < lines.length; k++) {
    const l = lines[k]!;
    if (!l.text) continue;
    if (!isBare(l)) break;
    const t = l.text;
    if (ROW_NUMBER.test(t)) {
      fresh(t.replace(/[.、．]$/, ""));
      continue;
    }
    const sec = SECTION_LINE.exec(t);
    if (sec && (!cur || col !== measureCol)) {
      rows.push([sec[1]!, sec[2]!, ...header.slice(2).map(() => "")]);
      cur = null;
      continue;
    }
    if (!cur) {
      if (rows.length === 0) continue;
      break;
    }
    const row: string[] = cur;
    const deadlineCol = kinds.indexOf("deadline", col);
    const unitCol = kinds.findIndex((kd, i) => i >= col && (isUnitsKind(kd) || kd === "support"));
    if (t.length <= 14 && DEADLINE_CELL.test(t) && deadlineCol >= 0) {
      row[deadlineCol] = row[deadlineCol] ? `${row[deadlineCol]}${t}` : t;
      col = deadlineCol;
    } else if (col > measureCol && looksLikeUnitList(t) && unitCol >= 0) {
      // Consecutive unit lines fill one column unless a further units column (配合单位) waits for them.
      const target = row[unitCol] && kinds.slice(unitCol + 1).some((kd) => kd === "support" || isUnitsKind(kd)) ? kinds.findIndex((kd, i) => i > unitCol && (kd === "support" || isUnitsKind(kd))) : unitCol;
      row[target] = row[target] ? `${row[target]}、${t}` : t;
      col = target;
    } else if (col <= measureCol) {
      row[measureCol] = row[measureCol] ? `${row[measureCol]}${t}` : t;
      col = measureCol + 1;
    } else if (t.length >= 6 && !/[:：]$/.test(t)) {
      // A second measure in the same numbered row: it shares the row's merged cells (empty here, inherited later).
      const next: string[] = header.map(() => "");
      next[measureCol] = t;
      rows.push(next);
      cur = next;
      col = measureCol + 1;
    } else break;
  }
  // A copy cut off mid-row: the last row keeps only the cells it printed, so it inherits no units it never had.
  const last = rows[rows.length - 1];
  if (last) while (last.length && !last[last.length - 1]) last.pop();
  return { header, rows, end: k };
}

function readRowPerLine(lines: CleanLine[], start: number): Table {
  const header = rowCells(lines[start]!.text)!.map(headerName);
  const rows: string[][] = [];
  let k = start + 1;
  for (; k < lines.length; k++) {
    const t = lines[k]!.text;
    if (!t || SEPARATOR_ROW.test(t)) continue;
    const cells = rowCells(t) ?? (/\|/.test(t) ? t.replace(/^\|/, "").replace(/\|\s*$/, "").split("|").map((c) => c.trim()) : null);
    if (!cells) break;
    rows.push(cells);
  }
  return { header, rows, end: k };
}

function readCellPerLine(lines: CleanLine[], start: number): Table {
  // Cells in reading order, with null marking a blank line between them.
  const stream: (string | null)[] = [];
  let k = start;
  for (; k < lines.length; k++) {
    const l = lines[k]!;
    const c = cellOf(l);
    if (c) stream.push(...c);
    else if (!l.text) stream.push(null);
    else if (continuesCell(stream, lines, k)) {
      // A cell's text broken across a page: the rest arrives as a bare line (after blank lines) and belongs to the
      // cell it completes, not to a new row.
      while (stream[stream.length - 1] === null) stream.pop();
      stream[stream.length - 1] += l.text;
    } else break;
  }
  while (stream.length && stream[stream.length - 1] === null) stream.pop();
  const header: string[] = [];
  let i = 0;
  for (; i < stream.length; i++) {
    const c = stream[i] ?? null;
    if (c === null) {
      if (header.length) break;
      continue;
    }
    if (header.length >= 3 && ROW_START.test(c)) break;
    header.push(headerName(c));
  }
  while (header.length && !header[header.length - 1]) header.pop();
  const body = stream.slice(i);
  const blankSeparated = body.some((c, n) => c === null && n > 0);
  const rows: string[][] = [];
  let cur: string[] = [];
  const push = () => {
    if (cur.some(Boolean)) rows.push(cur);
    cur = [];
  };
  const codeCol = header.findIndex((h) => /^序号$/.test(h));
  for (const c of body) {
    if (c === null) {
      if (blankSeparated) push();
      continue;
    }
    // Without blank lines, a row begins where its first column holds a row number or a section ordinal.
    if (!blankSeparated && codeCol === 0 && cur.length > 0 && ROW_START.test(c)) push();
    cur.push(c);
  }
  push();
  return { header, rows, end: k };
}

/**
 * A bare line inside a cell-per-line table continues the last cell when that cell stops mid-sentence and the table
 * goes on after it (more cell lines within a few lines); a finished sentence or the end of the cells ends the table.
 */
function continuesCell(stream: (string | null)[], lines: CleanLine[], k: number): boolean {
  let last: string | null = null;
  for (let j = stream.length - 1; j >= 0 && last === null; j--) last = stream[j] ?? null;
  if (!last || /[。；;！!？?：:]$/.test(last)) return false;
  for (let j = k + 1; j < Math.min(lines.length, k + 8); j++) {
    const l = lines[j]!;
    if (cellOf(l)) return true;
  }
  return false;
}

/** A cell that reads as offices: a short list whose parts end like offices (局, 委, 政府, 街道…). */
function looksLikeUnitList(t: string): boolean {
  return t.length <= 200 && looksLikeUnits(t.replace(/[。.]$/, ""));
}

/** "(一)", "二、": a row that only names a section, whose title is its other filled cell. */
export function sectionRowTitle(cells: string[]): string | null {
  const filled = cells.filter(Boolean);
  if (filled.length !== 2) return null;
  if (!/^([(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．]?)$/.test(filled[0]!)) return null;
  return filled[1]!.replace(/^[一二三四五六七八九十]{1,3}[、.．]/, "").trim();
}
