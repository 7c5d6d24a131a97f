import { isOrigin, type Block, type SourceDocument } from "./document.js";
import { MERGED_ABOVE, parseDocument, type ParseOptions } from "./parse.js";
import type { ParsedPlan } from "./types.js";

/**
 * The thin adapter between the readers and today's text extraction: every block becomes the lines a clean text copy
 * of the file would have, so a .docx, .xlsx or .pdf scores what the same plan scores as text. Tables become one
 * pipe-delimited row per line (the row-per-line layout the table reader knows); a slot merged down from the row above
 * is printed as the ditto mark 〃, which the table reader repeats from the row above in any units, section or deadline
 * column, while a slot merged across columns is left empty (a measure merged across columns is printed once). When the extraction reads blocks itself, this file goes away.
 */
export function planFromDocument(doc: SourceDocument, opts: ParseOptions = {}): ParsedPlan {
  const plan = parseDocument(documentToText(doc), opts);
  return doc.warnings.length ? { ...plan, warnings: [...doc.warnings, ...plan.warnings] } : plan;
}

export function documentToText(doc: SourceDocument): string {
  return doc.blocks.map(blockLines).join("\n");
}

// A pipe inside a cell is printed as ¦: both | and the full-width ｜ separate cells in text.
const oneLine = (s: string) => s.replace(/[\t\r\n]+/g, " ").replace(/[|｜]/g, "¦").trim();

function blockLines(b: Block): string {
  if (b.kind === "paragraph") {
    const text = b.label ? `${b.label}${b.text}` : b.text;
    return b.indented && !text.startsWith("\t") ? `\t${text}` : text;
  }
  return b.grid
    .map((row, r) => `| ${row.map((cell, c) => (isOrigin(b, r, c) ? oneLine(cell.text) : cell.origin.row < r ? MERGED_ABOVE : "")).join(" | ")} |`)
    .join("\n");
}
