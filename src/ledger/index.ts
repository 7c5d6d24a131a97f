/**
 * @module The 台账 export: store → Ledger (./data.ts) → .xlsx bytes (./workbook.ts). Shared by `/导出` and
 * `npm run export`.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { loadLedger, ledgerRows, type Ledger, type LedgerScope } from "./data.js";
import { buildWorkbook, ledgerFileName } from "./workbook.js";

export { loadLedger, ledgerRows, type Ledger, type LedgerScope } from "./data.js";
export { buildWorkbook, SHEETS } from "./workbook.js";

/** Most rows a workbook sent in chat may hold; larger exports are for `npm run export` on the server. */
export const CHAT_ROW_CAP = 10_000;

export interface LedgerFile {
  ledger: Ledger;
  rows: number;
  fileName: string;
  bytes: Uint8Array | null;
}

/**
 * Loads and builds the workbook. With `maxRows`, a ledger larger than that is not built: `bytes` is null and
 * `rows` says how large it would have been.
 */
export async function exportLedger(db: Kysely<Database>, scope: LedgerScope, now: Date, opts: { maxRows?: number } = {}): Promise<LedgerFile> {
  const ledger = await loadLedger(db, scope, now);
  const rows = ledgerRows(ledger);
  const slug = scope.unit ? scope.unit.name : scope.planId !== undefined ? `方案${scope.planId}` : "全部方案";
  const tooLarge = opts.maxRows !== undefined && rows > opts.maxRows;
  return { ledger, rows, fileName: ledgerFileName(ledger, slug), bytes: tooLarge ? null : await buildWorkbook(ledger) };
}
