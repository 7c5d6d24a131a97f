/**
 * Loads the seed plans into D1: imports seeds/ into a scratch SQLite file with the same importer, dumps the data as
 * INSERT OR IGNORE statements, and runs them with `wrangler d1 execute`. Re-running inserts nothing new.
 *   npm run d1:seed -- --local            (the local D1 of `wrangler dev`)
 *   npm run d1:seed -- --remote --yes     (the deployed database; asks for --yes on purpose)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock.js";
import { seedStore } from "../src/node/seed.js";
import { openSqlite } from "../src/store/sqlite.js";

const args = process.argv.slice(2);
const remote = args.includes("--remote");
if (!remote && !args.includes("--local")) {
  console.error("用法: npm run d1:seed -- --local | --remote --yes");
  process.exit(2);
}
if (remote && !args.includes("--yes")) {
  console.error("将写入线上 D1 数据库。确认无误后加 --yes 再运行。Refusing to write to the remote D1 without --yes.");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "duban-d1seed-"));
const store = openSqlite({ path: join(dir, "seed.sqlite"), synchronous: "NORMAL" });
const counts = await seedStore(store.db, "seeds", systemClock, { demoRoster: false }); // Workers never run local mode: no demo accounts
const tables = ["plans", "sections", "tasks", "units", "unit_aliases", "unit_group_members", "task_units", "indicators", "members", "chats"];
const lines: string[] = [];
const lit = (v: unknown) => (v === null ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
for (const t of tables) {
  for (const row of store.raw.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[]) {
    const cols = Object.keys(row);
    lines.push(`INSERT OR IGNORE INTO ${t} (${cols.join(", ")}) VALUES (${cols.map((c) => lit(row[c])).join(", ")});`);
  }
}
const file = join(dir, "seed.sql");
writeFileSync(file, lines.join("\n"));
await store.close();
console.log(`生成 ${lines.length} 条语句：${counts.plans} 个方案, ${counts.tasks} 项任务, ${counts.units} 个单位, ${counts.indicators} 个指标`);
// Migrations first (a no-op when applied): the seed needs the tables.
execFileSync(join("node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "DB", remote ? "--remote" : "--local"], { stdio: "inherit", env: { ...process.env, CI: "true" } });
execFileSync(join("node_modules", ".bin", "wrangler"), ["d1", "execute", "DB", remote ? "--remote" : "--local", "--file", file, "-y"], { stdio: "inherit" });
rmSync(dir, { recursive: true, force: true });
