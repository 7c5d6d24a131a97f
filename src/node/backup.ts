import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { findRunningBot } from "./runtime-file.js";

/**
 * Backup and restore of the SQLite store with SQLite's online backup API: a consistent copy taken while the bot
 * keeps writing (WAL readers do not block it), checked with integrity_check before it is trusted.
 */
export class BackupError extends Error {
  override name = "BackupError";
}

export interface BackupSummary {
  path: string;
  bytes: number;
  counts: Record<string, number>;
  pruned: string[];
}

const COUNTED = ["plans", "tasks", "units", "indicators", "reports", "members", "outbox"] as const;

function summarize(path: string): Record<string, number> {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new BackupError(`${path} 未通过完整性检查 integrity_check: ${String(check)}`);
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    return Object.fromEntries(COUNTED.filter((t) => tables.has(t)).map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]));
  } finally {
    db.close();
  }
}

export const defaultBackupDir = (databasePath: string) => join(dirname(resolve(databasePath)), "backups");

/** Copies the live database to `to` (default data/backups/duban-<UTC time>.sqlite); keeps the newest `keep` there. */
export async function backupDatabase(o: { databasePath: string; to?: string; force?: boolean; keep?: number; now?: Date }): Promise<BackupSummary> {
  if (!existsSync(o.databasePath)) throw new BackupError(`数据库不存在 no database at ${o.databasePath}（DATABASE_PATH）`);
  const stamp = (o.now ?? new Date()).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const dir = defaultBackupDir(o.databasePath);
  const to = resolve(o.to ?? join(dir, `duban-${stamp}.sqlite`));
  if (existsSync(to) && !o.force) throw new BackupError(`${to} 已存在，不覆盖（确要覆盖请加 --force）。\n${to} exists; add --force to overwrite it.`);
  mkdirSync(dirname(to), { recursive: true });
  const tmp = `${to}.partial`;
  rmSync(tmp, { force: true });
  const src = new BetterSqlite3(o.databasePath, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    await src.backup(tmp);
  } finally {
    src.close();
  }
  const counts = summarize(tmp);
  renameSync(tmp, to);
  const pruned: string[] = [];
  if (o.keep !== undefined && dirname(to) === dir) {
    const old = readdirSync(dir).filter((f) => /^duban-\d{8}T\d{6}Z\.sqlite$/.test(f)).sort().reverse().slice(o.keep);
    for (const f of old) {
      rmSync(join(dir, f));
      pruned.push(f);
    }
  }
  return { path: to, bytes: statSync(to).size, counts, pruned };
}

/**
 * Puts a backup in place as the database at `databasePath`. Refused while a bot runs on that database (it would
 * keep writing to the replaced file) and, without `force`, when a database is already there.
 */
export async function restoreDatabase(o: { backup: string; databasePath: string; force?: boolean }): Promise<BackupSummary> {
  if (!existsSync(o.backup)) throw new BackupError(`备份文件不存在 no backup at ${o.backup}`);
  const counts = summarize(o.backup);
  const to = resolve(o.databasePath);
  const bot = await findRunningBot(to);
  if (bot) throw new BackupError(`机器人正在使用 ${to}（pid ${bot.pid}）：先停止它（systemctl stop duban 或 Ctrl-C），再恢复。\nA bot (pid ${bot.pid}) is running on ${to}; stop it first.`);
  if (existsSync(to) && !o.force) throw new BackupError(`${to} 已有数据库，不覆盖（确要覆盖请加 --force）。\n${to} exists; add --force to replace it.`);
  mkdirSync(dirname(to), { recursive: true });
  const tmp = join(dirname(to), `.${basename(to)}.restoring`);
  rmSync(tmp, { force: true });
  const src = new BetterSqlite3(o.backup, { readonly: true, fileMustExist: true });
  try {
    await src.backup(tmp);
  } finally {
    src.close();
  }
  // The old database's WAL and shared-memory files belong to the old file: left behind they would be replayed into it.
  for (const suffix of ["-wal", "-shm"]) rmSync(`${to}${suffix}`, { force: true });
  renameSync(tmp, to);
  return { path: to, bytes: statSync(to).size, counts, pruned: [] };
}

export function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts).map(([t, n]) => `${t} ${n}`).join("，");
}
