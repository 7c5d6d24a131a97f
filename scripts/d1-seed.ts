/**
 * Loads the seed plans into D1: imports seeds/ into a scratch SQLite file with the same importer, dumps the data as
 * INSERT OR IGNORE statements, and runs them with `wrangler d1 execute`. Re-running inserts nothing new.
 *   npm run d1:seed -- --local            (the local D1 of `wrangler dev`)
 *   npm run d1:seed -- --remote --yes     (the deployed database; asks for --yes on purpose)
 *   npm run d1:seed -- --local --seeds DIR --persist-to DIR   (other plans; the local D1 of `wrangler dev --persist-to`)
 * wrangler's own output (a table per migration, a JSON object per statement: thousands of lines) is kept back and
 * shown only when a step fails; on success the operator gets what D1 now holds, counted by D1 itself.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCli, runCli, UsageError, type CliSpec, type OptionSpec } from "../src/cli/args.js";
import { systemClock } from "../src/clock.js";
import { seedStore } from "../src/node/seed.js";
import { openSqlite } from "../src/store/sqlite.js";

const spec = {
  command: "npm run d1:seed --",
  summary: "把 seeds/ 中的方案导入 Cloudflare D1（已有的行不重复写入）(load the seed plans into D1)",
  options: {
    local: { type: "boolean", help: "写入 wrangler dev 使用的本地 D1（.wrangler/）" },
    remote: { type: "boolean", help: "写入线上 D1（wrangler.toml 中的 DB），须同时加 --yes" },
    yes: { type: "boolean", help: "确认写入线上数据库" },
    seeds: { type: "string", arg: "<目录>", help: "从这个目录导入方案（默认 seeds/）" },
    "persist-to": { type: "string", arg: "<目录>", help: "本地 D1 的存放目录（与 wrangler dev --persist-to 相同；默认 .wrangler/state）" },
  },
  examples: ["npm run d1:seed -- --local", "npm run d1:seed -- --remote --yes", "npm run d1:seed -- --local --seeds my-plans --persist-to /tmp/d1"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

const TABLES = ["plans", "sections", "tasks", "units", "unit_aliases", "unit_group_members", "task_units", "indicators", "members", "chats"] as const;
const LABELS: Partial<Record<(typeof TABLES)[number], string>> = { plans: "个方案", tasks: "项任务", units: "个单位", indicators: "个指标" };

/** Runs wrangler with its output captured; a failure shows everything it printed, since that is where the reason is. */
function wrangler(args: string[]): string {
  try {
    return execFileSync(join("node_modules", ".bin", "wrangler"), args, { encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`wrangler ${args.slice(0, 3).join(" ")} 失败 failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`.trimEnd() || e.message);
  }
}

runCli(async () => {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.local === values.remote) throw new UsageError("--local 和 --remote 要选一个（写入哪个 D1）");
  if (values.remote && !values.yes) throw new UsageError("将写入线上 D1 数据库。确认无误后加 --yes 再运行。Refusing to write to the remote D1 without --yes.");
  if (values.remote && values["persist-to"] !== undefined) throw new UsageError("--persist-to 只用于 --local（线上 D1 不在本机）");
  const seedsDir = values.seeds ?? "seeds";
  if (!existsSync(seedsDir) || !statSync(seedsDir).isDirectory()) throw new UsageError(`找不到方案目录 ${seedsDir}（--seeds）`);
  const where = values.remote ? ["--remote"] : ["--local", ...(values["persist-to"] !== undefined ? ["--persist-to", values["persist-to"]] : [])];

  const dir = mkdtempSync(join(tmpdir(), "duban-d1seed-"));
  try {
    const store = openSqlite({ path: join(dir, "seed.sqlite"), synchronous: "NORMAL" });
    const counts = await seedStore(store.db, seedsDir, systemClock, { demoRoster: false }); // Workers never run local mode: no demo accounts
    const lines: string[] = [];
    const lit = (v: unknown) => (v === null ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
    for (const t of TABLES) {
      for (const row of store.raw.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[]) {
        const cols = Object.keys(row);
        lines.push(`INSERT OR IGNORE INTO ${t} (${cols.join(", ")}) VALUES (${cols.map((c) => lit(row[c])).join(", ")});`);
      }
    }
    const file = join(dir, "seed.sql");
    writeFileSync(file, lines.join("\n"));
    await store.close();
    console.log(`种子数据 seeds: ${counts.plans} 个方案, ${counts.tasks} 项任务, ${counts.units} 个单位, ${counts.indicators} 个指标 → ${lines.length} 条 INSERT OR IGNORE`);

    // Migrations first (a no-op when applied): the seed needs the tables.
    const migrated = wrangler(["d1", "migrations", "apply", "DB", ...where]);
    const applied = /About to apply (\d+) migration/.exec(migrated)?.[1];
    console.log(applied ? `已应用 ${applied} 个迁移 migrations applied` : "迁移已是最新 migrations up to date");

    wrangler(["d1", "execute", "DB", ...where, "--file", file, "-y"]);
    // One row of scalar subqueries: D1 refuses a UNION ALL of ten SELECTs ("too many terms in compound SELECT").
    const count = wrangler(["d1", "execute", "DB", ...where, "--json", "--command", `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(", ")}`]);
    const row = (JSON.parse(count) as { results: Record<string, number>[] }[])[0]?.results[0] ?? {};
    const n = new Map(Object.entries(row));
    const held = Object.entries(LABELS).map(([t, label]) => `${n.get(t) ?? 0} ${label}`).join(", ");
    console.log(`D1（${values.remote ? "线上 remote" : "本地 local"}）现有 now holds: ${held}, ${n.get("members") ?? 0} 个成员, ${n.get("chats") ?? 0} 个群（已有的行未重复写入）`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
