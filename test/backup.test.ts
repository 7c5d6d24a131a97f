import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { click, resolveSpeaker, say } from "../src/local/chat-client.js";
import { backupDatabase, restoreDatabase } from "../src/node/backup.js";
import { writeRuntimeFile } from "../src/node/runtime-file.js";
import { localEnv, startTestServer } from "./support/events.js";

/** An operator backs up the store while the bot runs and restores it into a new folder; nothing is overwritten by accident. */
describe("backup and restore of the SQLite store", () => {
  let bot: Awaited<ReturnType<typeof startTestServer>>;
  const elsewhere = mkdtempSync(join(tmpdir(), "duban-restore-"));
  beforeAll(async () => {
    bot = await startTestServer({ env: localEnv, seedsDir: "seeds" });
  });
  afterAll(async () => {
    await bot.close();
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it("copies the running bot's data, reported values included, and restores it into a new folder", async () => {
    const me = await resolveSpeaker(bot.store.db, "渝中区卫健委");
    const target = { url: bot.url, db: bot.store.db, idle: bot.idle };
    await say(target, me, "/上报 签约");
    await click(target, me, "提交", { 数值: "77.5", 周期: "2026Q4" });

    const backup = await backupDatabase({ databasePath: bot.store.label, now: new Date("2026-12-05T01:00:00Z") });
    expect(backup.path).toBe(join(bot.dir, "backups", "duban-20261205T010000Z.sqlite"));
    expect(backup.counts["reports"]).toBe(1);
    // The bot keeps working after the backup.
    expect((await say(target, me, "/我的任务")).length).toBeGreaterThan(0);

    await expect(backupDatabase({ databasePath: bot.store.label, now: new Date("2026-12-05T01:00:00Z") })).rejects.toThrow(/已存在.*--force/);
    const again = await backupDatabase({ databasePath: bot.store.label, now: new Date("2026-12-05T01:00:00Z"), force: true });
    expect(again.path).toBe(backup.path);

    const restored = join(elsewhere, "data", "duban.sqlite");
    const r = await restoreDatabase({ backup: backup.path, databasePath: restored });
    expect(r.counts).toEqual(again.counts);
    const db = new BetterSqlite3(restored, { readonly: true });
    expect(db.prepare("SELECT value, period FROM reports").all()).toEqual([{ value: 77.5, period: "2026Q4" }]);
    db.close();
    await expect(restoreDatabase({ backup: backup.path, databasePath: restored })).rejects.toThrow(/已有数据库.*--force/);
  });

  it("refuses to restore over the database of a running bot, even with --force", async () => {
    const backup = await backupDatabase({ databasePath: bot.store.label, to: join(elsewhere, "copy.sqlite") });
    writeRuntimeFile({ url: bot.url, pid: process.pid, databasePath: bot.store.label, mode: "local", startedAt: new Date().toISOString() });
    await expect(restoreDatabase({ backup: backup.path, databasePath: bot.store.label, force: true })).rejects.toThrow(/正在使用.*先停止/);
  });

  it("keeps only the newest backups when asked", async () => {
    for (const h of ["02", "03", "04"]) await backupDatabase({ databasePath: bot.store.label, now: new Date(`2026-12-06T${h}:00:00Z`), keep: 2 });
    expect(existsSync(join(bot.dir, "backups", "duban-20261206T040000Z.sqlite"))).toBe(true);
    expect(existsSync(join(bot.dir, "backups", "duban-20261206T030000Z.sqlite"))).toBe(true);
    expect(existsSync(join(bot.dir, "backups", "duban-20261206T020000Z.sqlite"))).toBe(false);
    expect(existsSync(join(bot.dir, "backups", "duban-20261205T010000Z.sqlite"))).toBe(false);
  });

  it("on a PostgreSQL store points the operator to pg_dump instead of copying a SQLite file", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/backup.ts"], { encoding: "utf8", env: { ...process.env, DATABASE_URL: "postgres://127.0.0.1:1/duban" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("pg_dump");
  });
});
