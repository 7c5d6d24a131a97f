import { parseCli, runCli, UsageError, type CliSpec, type OptionSpec } from "../src/cli/args.js";
import { describeCounts, restoreDatabase } from "../src/node/backup.js";
import { defaultDatabasePath } from "../src/store/sqlite.js";

const spec = {
  command: "npm run restore --",
  positionals: "<备份文件>",
  summary: "把备份恢复为 DATABASE_PATH 的数据库（机器人须已停止）(restore a backup; the bot must be stopped)",
  options: {
    force: { type: "boolean", help: "目标位置已有数据库时替换它" },
  },
  examples: ["DATABASE_PATH=/tmp/check/duban.sqlite npm run restore -- data/backups/duban-20261205T010000Z.sqlite", "npm run restore -- data/backups/duban-20261205T010000Z.sqlite --force"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

runCli(async () => {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  // With DATABASE_URL the store is PostgreSQL, whose own tools (pg_dump / pg_restore) do this job properly.
  if (process.env.DATABASE_URL) throw new UsageError("DATABASE_URL 已设置：数据在 PostgreSQL 中，请用 pg_dump / pg_restore 备份和恢复；本命令只处理 SQLite（DATABASE_PATH）");
  if (parsed.positionals.length !== 1) throw new UsageError("要给出一个备份文件，例如 npm run restore -- data/backups/duban-20261205T010000Z.sqlite");
  const r = await restoreDatabase({ backup: parsed.positionals[0]!, databasePath: defaultDatabasePath(), force: parsed.values.force === true });
  console.log(`已恢复 restored → ${r.path}（${describeCounts(r.counts)}）。启动机器人：npm start（或 systemctl start duban）`);
  return 0;
});
