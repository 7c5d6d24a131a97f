import type { Paragraph, SourceDocument } from "../document.js";

/**
 * Decoded text as blocks: one paragraph per line, blank lines kept as empty paragraphs because a blank line can
 * separate rows of a table flattened one cell per line. Readers never guess at tables in text; the extraction's
 * table-recovery pass turns runs of such lines (pipes, tabs, cell per line, PDF-interleaved columns) into tables,
 * whatever format the lines came from.
 */
export function textToDocument(text: string, encoding = "utf-8"): SourceDocument {
  const lines = text.replace(/^\ufeff/, "").split(/\r\n|\r|\n/);
  const blocks: Paragraph[] = lines.map((raw, k) => ({
    kind: "paragraph",
    text: raw,
    at: { line: k + 1 },
    ...(raw.startsWith("\t") ? { indented: true } : {}),
  }));
  return { format: "text", encoding, blocks, warnings: [] };
}
