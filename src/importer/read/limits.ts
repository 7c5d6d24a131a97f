import { ImportError } from "../errors.js";

/**
 * What an accepted file may cost. A plan is a few hundred KB; 20 MB leaves room for a Word file with pictures while
 * keeping one upload from holding a chat worker's memory. Zip caps are read from the central directory before any
 * entry is inflated, so a zip bomb is refused by its declared sizes, not after it has filled memory.
 */
export const LIMITS = {
  maxInputBytes: 20 * 1024 * 1024,
  maxEntries: 5000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 200 * 1024 * 1024,
  /** Spreadsheet XML compresses ~20:1; a ratio far past that is a bomb, not a plan. Only above 1 MB inflated. */
  maxRatio: 200,
  /**
   * What the extraction is given, whatever the format: a long plan has a few thousand lines of at most a few hundred
   * characters, and a table of a few thousand cells. Past these the file is not a plan (a data dump, a log, a copy
   * that lost its line breaks), and refusing it up front keeps the parse's cost bounded by these numbers.
   */
  maxLines: 50_000,
  maxLineChars: 20_000,
  maxCells: 100_000,
} as const;

/** Named once so every error tells the admin what to send instead. */
export const ACCEPTED = "可导入的格式：Word 文档（.docx）、Excel 表格（.xlsx）、带文字的 PDF、纯文本（.txt，UTF-8/GBK/UTF-16 编码均可）";

export function checkInputSize(bytes: Uint8Array) {
  if (bytes.length === 0) throw new ImportError("empty_file", `文件是空的（0 字节）：请重新导出方案后再发送。${ACCEPTED}`);
  if (bytes.length > LIMITS.maxInputBytes) {
    const mb = (bytes.length / 1024 / 1024).toFixed(1);
    throw new ImportError("too_large", `文件太大（${mb} MB，上限 20 MB）：请删去图片或只发送任务分解部分。${ACCEPTED}`);
  }
}

/** Lines and line length of the text the extraction reads; checked in one pass before any pattern runs. */
export function checkTextSize(text: string) {
  let lines = 1;
  let start = 0;
  for (let k = 0; k <= text.length; k++) {
    const c = text.charCodeAt(k);
    if (k < text.length && c !== 10 && c !== 13) continue;
    if (k - start > LIMITS.maxLineChars) {
      throw new ImportError(
        "too_large",
        `第 ${lines} 行过长（${k - start} 字，上限 ${LIMITS.maxLineChars} 字）：方案正文的一行不会这么长，可能是换行丢失或不是方案文件，请检查后重新发送。${ACCEPTED}`,
      );
    }
    if (c === 13 && text.charCodeAt(k + 1) === 10) k++;
    start = k + 1;
    if (k < text.length && ++lines > LIMITS.maxLines) {
      throw new ImportError("too_large", `文件行数过多（超过 ${LIMITS.maxLines} 行）：请只发送方案正文或任务分解部分。${ACCEPTED}`);
    }
  }
}

/** Non-empty table cells in a document read from an Office file or PDF. */
export function checkCellCount(cells: number) {
  if (cells > LIMITS.maxCells) {
    throw new ImportError("too_large", `表格过大（${cells} 个非空单元格，上限 ${LIMITS.maxCells} 个）：请只发送任务分解表所在的工作表或表格。${ACCEPTED}`);
  }
}
