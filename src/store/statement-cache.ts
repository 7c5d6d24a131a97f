import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/**
 * Kysely's SQLite driver prepares every statement anew (`db.prepare(sql)` per query): parsing and planning the SQL
 * was a tenth of a `/我的任务`'s CPU. The same SQL text gets the same prepared statement here, the most recently used
 * `max` of them kept. Reusing one is safe because Kysely runs one query at a time on SQLite's single connection.
 */
export function preparedOnce(raw: BetterSqlite3.Database, max = 500): StatementCache {
  const cache = new Map<string, CachedStatement>();
  return {
    close: () => void raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        // Most recently used last, so the first key is the one to drop.
        cache.delete(sql);
      } else {
        stmt = rowsBuiltInJs(raw.prepare(sql));
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

/** Kysely's SQLite database, its statements telling whether they write. */
export interface StatementCache extends SqliteDatabase {
  prepare(sql: string): CachedStatement;
}

/** What the read-only connection (src/store/sqlite.ts) asks of a cached statement besides Kysely's interface. */
export type CachedStatement = SqliteStatement & { readonly readonly: boolean };

/**
 * A reading statement whose rows are fetched as arrays and made into objects here. better-sqlite3 builds each row
 * object in C++, one property at a time through V8's API: on the city store that was about half of what the reads of a
 * `/我的任务` cost (50 indicator rows of 14 columns: 175 µs as objects, 96 µs as arrays, 107 µs as arrays made into
 * objects here). The objects are the same: the same keys in the same order, a repeated column name keeping its first
 * position and its last value. A column named `__proto__` would set the prototype here, so such a statement keeps
 * better-sqlite3's objects.
 */
export function rowsBuiltInJs(stmt: BetterSqlite3.Statement): CachedStatement {
  if (!stmt.reader) return stmt as unknown as CachedStatement;
  const names = stmt.columns().map((c) => c.name);
  if (names.includes("__proto__")) return stmt as unknown as CachedStatement;
  const arrays = stmt.raw(true);
  const n = names.length;
  const toObject = (row: unknown[]): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) o[names[i]!] = row[i];
    return o;
  };
  return {
    reader: true,
    readonly: stmt.readonly,
    all(parameters: ReadonlyArray<unknown>) {
      const rows = arrays.all(parameters) as unknown[][];
      const out = new Array<Record<string, unknown>>(rows.length);
      for (let r = 0; r < rows.length; r++) out[r] = toObject(rows[r]!);
      return out;
    },
    // A statement with RETURNING reads rows, and Kysely may still `run` it when it wants no rows back.
    run: (parameters: ReadonlyArray<unknown>) => arrays.run(parameters),
    *iterate(parameters: ReadonlyArray<unknown>) {
      for (const row of arrays.iterate(parameters) as IterableIterator<unknown[]>) yield toObject(row);
    },
  } as CachedStatement;
}
