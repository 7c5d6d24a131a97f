/**
 * @module A plan file's bytes → a parsed plan, for the chat intake and the CLI. Node only (the readers load
 * pdf.js, JSZip and exceljs); the Workers bundle never imports it.
 */
import { parseFile, type ParsedPlan } from "../importer/index.js";

export async function readPlanFile(bytes: Uint8Array, fileName: string): Promise<ParsedPlan> {
  return parseFile(bytes, { fileName });
}
