/**
 * @module Bytes of any file to the document model: size check, sniff by content, then the one reader for that format.
 */
import type { SourceDocument } from "../document.js";
import { ImportError } from "../errors.js";
import { decodeText } from "./decode.js";
import { ACCEPTED, checkCellCount, checkInputSize } from "./limits.js";
import { sniff } from "./sniff.js";
import { textToDocument } from "./text.js";

export async function readSource(bytes: Uint8Array): Promise<SourceDocument> {
  checkInputSize(bytes);
  const kind = sniff(bytes);
  let doc: SourceDocument;
  switch (kind.format) {
    case "text": {
      const d = decodeText(bytes);
      doc = textToDocument(d.text, d.encoding);
      doc.warnings.push(...d.warnings);
      break;
    }
    case "docx":
      // Loaded on demand: a text import (and every CLI start) should not pay for the Office libraries.
      doc = await (await import("./docx.js")).readDocx(bytes);
      break;
    case "xlsx":
      doc = await (await import("./xlsx.js")).readXlsx(bytes);
      break;
    case "pdf":
      doc = await (await import("./pdf.js")).readPdf(bytes);
      break;
  }
  checkCellCount(doc.blocks.reduce((n, b) => n + (b.kind === "table" ? b.grid.reduce((m, r) => m + r.filter((c) => c.text.trim() !== "").length, 0) : 0), 0));
  if (!hasText(doc)) {
    throw new ImportError("empty_file", `文件中没有文字内容：请确认发送的是方案正文。${ACCEPTED}`);
  }
  return doc;
}

function hasText(doc: SourceDocument): boolean {
  return doc.blocks.some((b) => (b.kind === "paragraph" ? b.text.trim() !== "" : b.grid.some((r) => r.some((c) => c.text.trim() !== ""))));
}
