/**
 * npm run migrate-store -- --from data/duban.sqlite --to postgres://user@host/db
 * Copies an existing SQLite store into a new, empty PostgreSQL database (see src/store/copy-to-postgres.ts).
 */
import { parseCli, runCli, UsageError, usage, type CliSpec, type OptionSpec } from "../src/cli/args.js";
import { copySqliteToPostgres } from "../src/store/copy-to-postgres.js";

const spec = {
  command: "npm run migrate-store --",
  summary: "把 SQLite 数据库复制到一个新的、空的 PostgreSQL 数据库 (copy the SQLite store into an empty PostgreSQL database)",
  options: {
    from: { type: "string", arg: "<data/duban.sqlite>", help: "源 SQLite 文件" },
    to: { type: "string", arg: "<postgres://…>", help: "目标 PostgreSQL（必须是空库）" },
  },
  examples: ["npm run migrate-store -- --from data/duban.sqlite --to postgres://duban@db.internal/duban"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

runCli(async () => {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  const { from, to } = parsed.values;
  if (!from || !to) throw new UsageError(`缺少 --from 或 --to\n\n${usage(spec)}`);
  let report: Awaited<ReturnType<typeof copySqliteToPostgres>>;
  try {
    report = await copySqliteToPostgres(from, to);
  } catch (err) {
    throw new Error(`迁移失败，目标数据库未写入任何数据 migration failed, nothing written: ${(err as Error).message}`);
  }
  const total = report.tables.reduce((s, t) => s + t.rows, 0);
  console.log(`已复制 ${report.tables.length} 张表、${total} 行到 PostgreSQL，行数核对一致 copied ${total} rows:`);
  for (const t of report.tables) console.log(`  ${t.table.padEnd(24)} ${t.rows}`);
  console.log("已为目标数据库收集查询统计信息 (ANALYZE)，可以启动实例。");
  return 0;
});
