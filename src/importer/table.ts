import type { CleanLine } from "./normalize.js";

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

const UNITS_HEADER = /^(责任单位|责任部门|牵头单位|牵头部门|责任主体|主责单位|责任处室|牵头处室|牵头责任单位)$/;
const MEASURE_HEADER = /^(具体措施|工作措施|主要措施|工作内容|主要任务|任务内容|重点任务|工作任务|具体任务|具体内容|工作要点|目标任务|重点工作|任务措施|措施内容)$/;
const SEPARATOR_ROW = /^\|?[\s|:：\-—]+\|?$/;
const ROW_START = /^(\d{1,3}|[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．]?)$/;

const squash = (s: string) => s.replace(/\s+/g, "");

/** The cells of a line written as a whole row, or null when the line is not one (fewer than two filled cells). */
export function rowCells(t: string): string[] | null {
  if (!t.includes("|") || SEPARATOR_ROW.test(t)) return null;
  const cells = t.replace(/^\|/, "").replace(/\|\s*$/, "").split("|").map((c) => c.trim());
  return cells.filter(Boolean).length >= 2 ? cells : null;
}

/** A line holding a single cell of a cell-per-line table, with the empty cells its trailing pipes stand for. */
function cellOf(l: CleanLine): string[] | null {
  if (l.tab) return [l.text.replace(/\s*\|+\s*$/, "").trim()];
  if (!/\|\s*$/.test(l.text) || rowCells(l.text)) return null;
  const parts = l.text.replace(/\|\s*$/, "").split("|").map((c) => c.trim());
  return [parts[0] ?? "", ...parts.slice(1).map(() => "")];
}

export function isHeaderRow(cells: string[]): boolean {
  const c = cells.map(squash);
  return c.some((x) => UNITS_HEADER.test(x)) && c.some((x) => MEASURE_HEADER.test(x));
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
    if (!cellOf(l)) continue;
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
  return rowCells(lines[start]!.text) ? readRowPerLine(lines, start) : readCellPerLine(lines, start);
}

function readRowPerLine(lines: CleanLine[], start: number): Table {
  const header = rowCells(lines[start]!.text)!.map(squash);
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
    header.push(squash(c));
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

/** "(一)", "二、": a row that only names a section, whose title is its other filled cell. */
export function sectionRowTitle(cells: string[]): string | null {
  const filled = cells.filter(Boolean);
  if (filled.length !== 2) return null;
  if (!/^([(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．]?)$/.test(filled[0]!)) return null;
  return filled[1]!.replace(/^[一二三四五六七八九十]{1,3}[、.．]/, "").trim();
}
