import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Paragraph, SourceDocument } from "../document.js";
import { ImportError } from "../errors.js";
import { ACCEPTED } from "./limits.js";

/**
 * PDF with a text layer → one paragraph per printed line, in reading order. pdfjs-dist (Mozilla's reader, the
 * maintained one; its legacy build runs in Node without a browser) gives positioned text items; we group them into
 * lines by baseline, order lines top to bottom and items left to right, and put a tab where a wide gap separates
 * columns, so a table row printed on one line reads like a tab-separated row. A PDF whose pages carry no text at all
 * is a scan: it gets its own error, since the fix (OCR or the original file) is different from a broken file.
 */
const require = createRequire(import.meta.url);
const PDFJS_DIR = dirname(require.resolve("pdfjs-dist/package.json"));
const MAX_PAGES = 500;

interface Item {
  str: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export async function readPdf(bytes: Uint8Array): Promise<SourceDocument> {
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
  // pdfjs transfers the buffer to its worker; give it a copy so the caller's bytes (hashed for the store) stay intact.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    // Chinese PDFs often use predefined CJK CMaps (UniGB-UCS2-H…); without them the text layer decodes to nothing.
    cMapUrl: join(PDFJS_DIR, "cmaps") + "/",
    cMapPacked: true,
    standardFontDataUrl: join(PDFJS_DIR, "standard_fonts") + "/",
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === "PasswordException") {
      throw new ImportError("encrypted_file", `PDF 设置了打开密码，无法读取：请取消密码后再发送。${ACCEPTED}`);
    }
    throw new ImportError("corrupt_file", `PDF 文件已损坏，无法打开：请重新导出后再发送。${ACCEPTED}`);
  }
  try {
    const blocks: Paragraph[] = [];
    const warnings: string[] = [];
    const pages = Math.min(doc.numPages, MAX_PAGES);
    if (doc.numPages > MAX_PAGES) warnings.push(`PDF 共 ${doc.numPages} 页，只读取了前 ${MAX_PAGES} 页`);
    let line = 0;
    let chars = 0;
    for (let n = 1; n <= pages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const items: Item[] = [];
      for (const it of content.items) {
        if (!("str" in it) || it.str.trim() === "") continue;
        const [a, b, , d, e, f] = it.transform as number[];
        items.push({ str: it.str, x: e!, y: f!, w: it.width, h: Math.abs(it.height) || Math.hypot(a!, b!) || Math.abs(d!) || 10 });
        chars += it.str.trim().length;
      }
      for (const text of linesOf(items)) blocks.push({ kind: "paragraph", text, at: { page: n, line: ++line } });
      page.cleanup();
    }
    if (chars === 0) {
      throw new ImportError(
        "no_text_layer",
        `这个 PDF 没有文字层（可能是扫描件或图片），无法读取任务：请发送方案的 Word 原文件，或先用文字识别（OCR）转成文字版 PDF。${ACCEPTED}`,
      );
    }
    return { format: "pdf", blocks, warnings };
  } finally {
    await doc.destroy();
  }
}

/** Text items → lines: same baseline (within a third of the glyph height), top to bottom, left to right. */
function linesOf(items: Item[]): string[] {
  const sorted = [...items].sort((p, q) => q.y - p.y || p.x - q.x);
  const rows: Item[][] = [];
  for (const it of sorted) {
    const row = rows[rows.length - 1];
    if (row && Math.abs(row[0]!.y - it.y) <= Math.max(2, Math.min(row[0]!.h, it.h) / 3)) row.push(it);
    else rows.push([it]);
  }
  return rows.map((row) => {
    row.sort((p, q) => p.x - q.x);
    let out = "";
    let end = -Infinity;
    for (const it of row) {
      const gap = it.x - end;
      if (out) out += gap > it.h * 2 ? "\t" : gap > it.h * 0.25 ? " " : "";
      out += it.str;
      end = it.x + it.w;
    }
    return out.trim();
  });
}
