import { parseCli, runCli, UsageError, type CliSpec, type OptionSpec } from "../src/cli/args.js";
import { backupDatabase, describeCounts } from "../src/node/backup.js";
import { defaultDatabasePath } from "../src/store/sqlite.js";

const spec = {
  command: "npm run backup --",
  summary: "在机器人运行时备份 SQLite 数据库（SQLite 在线备份，检查完整性）(online backup of the store)",
  options: {
    to: { type: "string", arg: "<文件>", help: "备份到这个文件（默认 data/backups/duban-<UTC 时间>.sqlite）" },
    force: { type: "boolean", help: "目标文件已存在时覆盖" },
    keep: { type: "string", arg: "<N>", help: "默认目录里只保留最新的 N 份" },
  },
  examples: ["npm run backup", "npm run backup -- --to /srv/backup/duban.sqlite --force", "npm run backup -- --keep 14"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

runCli(async () => {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  // With DATABASE_URL the store is PostgreSQL, whose own tools (pg_dump / pg_restore) do this job properly.
  if (process.env.DATABASE_URL) throw new UsageError("DATABASE_URL 已设置：数据在 PostgreSQL 中，请用 pg_dump / pg_restore 备份和恢复；本命令只处理 SQLite（DATABASE_PATH）");
  const { values } = parsed;
  const keep = values.keep === undefined ? undefined : Number(values.keep);
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new UsageError(`--keep 要写正整数（收到 “${values.keep}”）`);
  const r = await backupDatabase({ databasePath: defaultDatabasePath(), to: values.to, force: values.force === true, ...(keep ? { keep } : {}) });
  console.log(`已备份 backed up → ${r.path}（${(r.bytes / 1024).toFixed(0)} KiB，完整性 ok；${describeCounts(r.counts)}）`);
  if (r.pruned.length) console.log(`已删除较旧的备份 pruned ${r.pruned.length}: ${r.pruned.join(", ")}`);
  return 0;
});
