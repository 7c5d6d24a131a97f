import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/**
 * Kysely's SQLite driver prepares every statement anew (`db.prepare(sql)` per query): parsing and planning the SQL
 * was a tenth of a `/我的任务`'s CPU. The same SQL text gets the same prepared statement here, the most recently used
 * `max` of them kept. Reusing one is safe because Kysely runs one query at a time on SQLite's single connection.
 */
export function preparedOnce(raw: BetterSqlite3.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => void raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        // Most recently used last, so the first key is the one to drop.
        cache.delete(sql);
      } else {
        stmt = raw.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
