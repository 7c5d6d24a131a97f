/**
 * @module The importer's front door: bytes of any accepted format in, a parsed plan out, nothing stored.
 * Readers (./read) turn bytes into the document model; extraction turns the model into measures, units and
 * indicators; ./store.ts writes a plan once an admin (or the CLI) decides to.
 */
import { planFromDocument } from "./from-document.js";
import { readSource } from "./read/index.js";
import type { ParsedPlan } from "./types.js";

export interface ParseFileOptions {
  /** The file's name as sent; for messages only — the format is sniffed from the bytes. */
  fileName?: string;
}

/** Reads a plan from a file's bytes. Throws ImportError (Chinese text saying what to send instead) when it cannot. */
export async function parseFile(bytes: Uint8Array, opts: ParseFileOptions = {}): Promise<ParsedPlan> {
  const doc = await readSource(bytes);
  return planFromDocument(doc, opts.fileName === undefined ? {} : { fileName: opts.fileName });
}

export { ImportError, isImportError } from "./errors.js";
export type { ParsedPlan, ParsedTask, ParsedIndicator } from "./types.js";
