/**
 * npm run migrate-store -- --from data/duban.sqlite --to postgres://user@host/db
 * Copies an existing SQLite store into a new, empty PostgreSQL database (see src/store/copy-to-postgres.ts).
 */
import { parseArgs } from "node:util";
import { copySqliteToPostgres } from "../src/store/copy-to-postgres.js";

const USAGE = "用法 usage: npm run migrate-store -- --from data/duban.sqlite --to postgres://用户@主机/数据库";
let values: { from?: string; to?: string };
try {
  ({ values } = parseArgs({ options: { from: { type: "string" }, to: { type: "string" } }, strict: true }));
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (!values.from || !values.to) {
  console.error(`缺少 --from 或 --to。\n${USAGE}`);
  process.exit(2);
}
try {
  const report = await copySqliteToPostgres(values.from, values.to);
  const total = report.tables.reduce((s, t) => s + t.rows, 0);
  console.log(`已复制 ${report.tables.length} 张表、${total} 行到 PostgreSQL，行数核对一致 copied ${total} rows:`);
  for (const t of report.tables) console.log(`  ${t.table.padEnd(24)} ${t.rows}`);
  console.log("已为目标数据库收集查询统计信息 (ANALYZE)，可以启动实例。");
} catch (err) {
  console.error(`迁移失败，目标数据库未写入任何数据 migration failed, nothing written: ${(err as Error).message}`);
  process.exit(1);
}
