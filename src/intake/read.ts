/**
 * @module A plan file's bytes → a parsed plan, for the chat intake and the CLI. A 台账 workbook (sent back after
 * editing, or the filled-in template) is read cell by cell (src/ledger/read.ts); anything else goes to the
 * importer. Node only (the readers load pdf.js, JSZip and exceljs); the Workers bundle never imports it.
 */
import ExcelJS from "exceljs";
import { parseFile, type ParsedPlan } from "../importer/index.js";
import { isLedgerWorkbook, readLedgerWorkbook } from "../ledger/read.js";

export interface PlanFile {
  plan: ParsedPlan;
  /** "ledger" when the file was a 台账 workbook read exactly, "document" when the importer parsed it. */
  source: "ledger" | "document";
}

/** The workbook when the bytes are a readable .xlsx holding the ledger's sheets; null otherwise. */
async function ledgerWorkbook(bytes: Uint8Array): Promise<ExcelJS.Workbook | null> {
  // Only a ZIP can be an .xlsx; an encrypted or broken one is left to the importer, which says why it cannot read it.
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return null;
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as ArrayBuffer);
  } catch {
    return null;
  }
  return isLedgerWorkbook(wb) ? wb : null;
}

export async function readPlanSource(bytes: Uint8Array, fileName: string): Promise<PlanFile> {
  const wb = await ledgerWorkbook(bytes);
  if (wb) return { plan: readLedgerWorkbook(wb), source: "ledger" };
  return { plan: await parseFile(bytes, { fileName }), source: "document" };
}

export async function readPlanFile(bytes: Uint8Array, fileName: string): Promise<ParsedPlan> {
  return (await readPlanSource(bytes, fileName)).plan;
}
