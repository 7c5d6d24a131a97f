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
