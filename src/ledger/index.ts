/**
 * @module The 台账 export: store → Ledger (./data.ts) → .xlsx bytes (./workbook.ts). Shared by `/导出` and
 * `npm run export`.
 */
import type { Kysely } from "kysely";
import type { ParsedPlan } from "../importer/types.js";
import type { Database } from "../store/schema.js";
import { loadLedger, ledgerRows, type Ledger, type LedgerScope } from "./data.js";

export { loadLedger, ledgerRows, type Ledger, type LedgerScope } from "./data.js";

/** exceljs is loaded on first export only: it would add about a second to every start-up of the bot. */
export async function buildWorkbook(l: Ledger): Promise<Uint8Array> {
  return (await import("./workbook.js")).buildWorkbook(l);
}

/** The 核对表 of a parse, or the blank template (plan null); see ./workbook.ts. */
export async function buildPlanWorkbook(plan: ParsedPlan | null, o: { fileName?: string } = {}): Promise<Uint8Array> {
  return (await import("./workbook.js")).buildPlanWorkbook(plan, o);
}

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

/** File name of an export, e.g. 督办台账-全部方案-20261124.xlsx (China date). */
export function ledgerFileName(l: Ledger, scopeSlug: string): string {
  const d = new Date(l.generatedAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, "");
  return `督办台账-${scopeSlug.replace(/[\\/:*?"<>|\s]+/g, "").slice(0, 30)}-${d}.xlsx`;
}
