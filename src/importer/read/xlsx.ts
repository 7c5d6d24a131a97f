import ExcelJS from "exceljs";
import type { Block, GridCell, SourceDocument } from "../document.js";
import { ImportError } from "../errors.js";
import { ACCEPTED } from "./limits.js";

/**
 * .xlsx → blocks, with exceljs (the maintained reader that exposes merged ranges and cell types). Every visible
 * sheet is read in order. A 任务分解表 sheet usually opens with a title merged across the width, sometimes a date or
 * "附件1", then the header: those leading one-cell rows become paragraphs (the title is how the plan is named),
 * the rest one table whose merged ranges keep their origin.
 */
const MAX_ROWS = 20000;
const MAX_COLS = 64;

export async function readXlsx(bytes: Uint8Array): Promise<SourceDocument> {
  const wb = new ExcelJS.Workbook();
  try {
    // exceljs types its input as Node's Buffer; a view over the same memory avoids a copy.
    await wb.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as ArrayBuffer);
  } catch (e) {
    throw new ImportError("corrupt_file", `Excel 文件已损坏，无法打开（${String((e as Error).message).slice(0, 60)}）：请另存为 .xlsx 后再发送。${ACCEPTED}`);
  }
  const blocks: Block[] = [];
  const warnings: string[] = [];
  for (const ws of wb.worksheets) {
    if (ws.state !== "visible") {
      warnings.push(`工作表“${ws.name}”是隐藏的，未读取`);
      continue;
    }
    const rows = Math.min(ws.rowCount, MAX_ROWS);
    const cols = Math.min(ws.columnCount, MAX_COLS);
    if (ws.rowCount > MAX_ROWS || ws.columnCount > MAX_COLS) warnings.push(`工作表“${ws.name}”过大，只读取前 ${rows} 行、${cols} 列`);
    const grid: GridCell[][] = [];
    for (let r = 1; r <= rows; r++) {
      const row = ws.getRow(r);
      const out: GridCell[] = [];
      for (let c = 1; c <= cols; c++) {
        const cell = row.getCell(c);
        const master = cell.isMerged ? cell.master : cell;
        // Origins are grid positions; the sheet's row 1 is grid row 0. Row indices are shifted below when rows are cut.
        out.push({ text: cellText(master), origin: { row: Number(master.row) - 1, col: Number(master.col) - 1 } });
      }
      grid.push(out);
    }
    const sheet = sheetBlocks(ws.name, trimColumns(grid));
    // Two sheets' tables back to back would read as one table; the sheet's name between them is what a reader sees.
    if (sheet[0]?.kind === "table" && blocks[blocks.length - 1]?.kind === "table") {
      blocks.push({ kind: "paragraph", text: `工作表：${ws.name}`, at: { sheet: ws.name } });
    }
    blocks.push(...sheet);
  }
  return { format: "xlsx", blocks, warnings };
}

/** Title and note rows above the header as paragraphs; the rest, without blank rows at the ends, as one table. */
function sheetBlocks(sheet: string, grid: GridCell[][]): Block[] {
  const blocks: Block[] = [];
  const filledOrigins = (r: GridCell[]) => new Set(r.filter((c) => c.text.trim()).map((c) => `${c.origin.row},${c.origin.col}`)).size;
  let top = 0;
  for (; top < grid.length && filledOrigins(grid[top]!) <= 1; top++) {
    const text = grid[top]!.find((c) => c.text.trim())?.text.trim();
    if (text) blocks.push({ kind: "paragraph", text, at: { sheet, row: top + 1 } });
  }
  let end = grid.length;
  while (end > top && filledOrigins(grid[end - 1]!) === 0) end--;
  if (end > top) {
    const rows = grid.slice(top, end).map((r) =>
      r.map((c) => ({ text: c.text, origin: { row: Math.max(0, c.origin.row - top), col: c.origin.col } })),
    );
    blocks.push({ kind: "table", grid: rows, at: { sheet, row: top + 1 } });
  }
  return blocks;
}

/** Drops columns that hold nothing anywhere (formatting often widens a sheet far past its data). */
function trimColumns(grid: GridCell[][]): GridCell[][] {
  let width = Math.max(0, ...grid.map((r) => r.length));
  while (width > 0 && grid.every((r) => !r[width - 1]?.text.trim())) width--;
  return grid.map((r) => r.slice(0, width));
}

function cellText(cell: ExcelJS.Cell): string {
  const v = cell.value;
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return `${v.getUTCFullYear()}年${v.getUTCMonth() + 1}月${v.getUTCDate()}日`;
  if (typeof v === "number") {
    // A percentage-formatted cell stores 0.8 for 80%.
    return /%/.test(cell.numFmt ?? "") ? `${+(v * 100).toFixed(6)}%` : String(v);
  }
  if (typeof v === "string") return v.trim();
  if (typeof v === "boolean") return v ? "是" : "否";
  if (typeof v === "object") {
    if ("richText" in v) return v.richText.map((t) => t.text).join("").trim();
    if ("result" in v) return v.result === undefined || v.result === null ? "" : cellTextOf(v.result);
    if ("text" in v) return String(v.text).trim();
    if ("error" in v) return "";
  }
  return String(v).trim();
}

function cellTextOf(result: unknown): string {
  if (result instanceof Date) return `${result.getUTCFullYear()}年${result.getUTCMonth() + 1}月${result.getUTCDate()}日`;
  if (typeof result === "object" && result !== null && "error" in result) return "";
  return String(result).trim();
}
