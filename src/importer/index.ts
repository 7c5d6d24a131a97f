/**
 * @module The importer's front door: bytes of any accepted format in, a parsed plan out, nothing stored.
 * Readers (./read) turn bytes into the document model; extraction turns the model into measures, units and
 * indicators; ./store.ts writes a plan once an admin (or the CLI) decides to.
 */
import { ImportError } from "./errors.js";
import { parseDocument } from "./parse.js";
import type { ParsedPlan } from "./types.js";

export interface ParseFileOptions {
  /** The file's name as sent; for messages only — the format is sniffed from the bytes. */
  fileName?: string;
}

/** Reads a plan from a file's bytes. Throws ImportError (Chinese text saying what to send instead) when it cannot. */
export async function parseFile(bytes: Uint8Array, opts: ParseFileOptions = {}): Promise<ParsedPlan> {
  if (bytes.length === 0) throw new ImportError("empty_file", "文件是空的（0 字节）：请重新导出方案后再发送。");
  const text = new TextDecoder("utf-8").decode(bytes);
  return parseDocument(text, opts.fileName === undefined ? {} : { fileName: opts.fileName });
}

export { ImportError, isImportError } from "./errors.js";
export type { ParsedPlan, ParsedTask, ParsedIndicator } from "./types.js";
