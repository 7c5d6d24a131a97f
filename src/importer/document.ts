/**
 * @module The one document model every reader produces and every extraction step reads.
 *
 * A plan arrives as .docx, .xlsx, .pdf or text in several encodings; each reader (src/importer/read/) turns its bytes
 * into the same sequence of blocks — paragraphs and tables — so that finding measures, units and indicators never
 * depends on where a block came from. Tables keep their merged cells: a grid slot covered by a merge knows the slot
 * it was merged from, because "a cell merged down over three rows" means "these three measures share one lead unit"
 * while a measure merged across two columns is still one measure.
 */

export type SourceFormat = "text" | "docx" | "xlsx" | "pdf";

/** Where a block sits in its source, for warnings an admin can follow back to the file. */
export interface Location {
  /** 1-based line of a text file or of a PDF's reconstructed text; paragraph ordinal of a .docx. */
  line?: number;
  /** 1-based page of a PDF. */
  page?: number;
  /** Worksheet name of an .xlsx. */
  sheet?: string;
  /** 1-based row of a worksheet (the first row of a table block). */
  row?: number;
}

export interface Paragraph {
  kind: "paragraph";
  /** The text as printed, whitespace inside kept; no trailing newline. */
  text: string;
  at: Location;
  /**
   * A numbering label the source renders itself (Word automatic numbering: "一、", "（一）", "1.") and that is
   * therefore not part of `text`. Absent when the text carries its own number.
   */
  label?: string;
  /** Outline depth when the source states it (Word heading style or numbering level), 0 = top. */
  level?: number;
  /** A text line that began with a tab: in flattened tables this marks a cell. */
  indented?: boolean;
}

/** One slot of a table grid. */
export interface GridCell {
  /** The text of the cell this slot belongs to (a merged slot repeats its origin's text); paragraphs joined by "\n". */
  text: string;
  /** The top-left slot of the merge this slot belongs to; equal to the slot's own position when not merged. */
  origin: { row: number; col: number };
}

export interface Table {
  kind: "table";
  /** rows × columns; every row has the same length. */
  grid: GridCell[][];
  at: Location;
}

export type Block = Paragraph | Table;

export interface SourceDocument {
  format: SourceFormat;
  /** The encoding a text file was decoded from ("utf-8", "utf-16le", "gb18030"…). */
  encoding?: string;
  blocks: Block[];
  /** What a reader noticed and the admin should know (a hidden sheet skipped, an encoding guessed). Chinese. */
  warnings: string[];
}

/** True for the slot that starts its cell (the only one to read when a merge must count once). */
export const isOrigin = (t: Table, row: number, col: number): boolean => {
  const o = t.grid[row]?.[col]?.origin;
  return o !== undefined && o.row === row && o.col === col;
};

/** Builds a grid from rows of plain strings, no merges (text reconstruction and tests). */
export function tableFromRows(rows: string[][], at: Location): Table {
  const width = Math.max(0, ...rows.map((r) => r.length));
  return {
    kind: "table",
    at,
    grid: rows.map((r, row) => Array.from({ length: width }, (_, col) => ({ text: r[col] ?? "", origin: { row, col } }))),
  };
}

/** "第 12 行", "第 3 页", "工作表“任务”第 4 行": a location as an official reads it. */
export function describeLocation(at: Location): string {
  const parts: string[] = [];
  if (at.sheet !== undefined) parts.push(`工作表“${at.sheet}”`);
  if (at.page !== undefined) parts.push(`第 ${at.page} 页`);
  if (at.row !== undefined) parts.push(`第 ${at.row} 行`);
  else if (at.line !== undefined) parts.push(`第 ${at.line} 行`);
  return parts.join("") || "文档中";
}
