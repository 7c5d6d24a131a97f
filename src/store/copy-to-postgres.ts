import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { openPostgres } from "./postgres.js";
import { migrateSqlite } from "./sqlite.js";

export interface CopyReport {
  tables: { table: string; rows: number }[];
}

/**
 * Moves an existing SQLite store to PostgreSQL: the target gets the schema from the same migrations, then every
 * table is copied in foreign-key order inside one PostgreSQL transaction (all or nothing), identity counters are
 * moved past the copied ids, the row counts are compared, and the target is ANALYZEd so its first queries are planned
 * from statistics. A target that already holds data is refused, so a second run cannot mix two stores.
 */
export async function copySqliteToPostgres(from: string, to: string, batch = 500): Promise<CopyReport> {
  const source = new BetterSqlite3(from, { readonly: false, fileMustExist: true });
  migrateSqlite(source); // an older file is brought to the current schema first, so both sides match
  const target = await openPostgres(to);
  try {
    const tables = tablesInDependencyOrder(source);
    for (const t of tables) {
      const n = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(t)}`.execute(target.db)).rows[0]?.n ?? 0);
      if (n > 0) throw new Error(`目标数据库的表 ${t} 已有 ${n} 行数据：请指向一个新建的空数据库 (the target database is not empty)`);
    }
    const report: CopyReport = { tables: [] };
    await target.db.transaction().execute(async (trx) => {
      for (const t of tables) {
        const rows = source.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[];
        for (let i = 0; i < rows.length; i += batch) await trx.insertInto(t as never).values(rows.slice(i, i + batch) as never).execute();
        const hasId = (source.prepare(`PRAGMA table_info("${t}")`).all() as { name: string; pk: number; type: string }[]).some((c) => c.name === "id" && c.pk === 1 && /INT/i.test(c.type));
        if (hasId && rows.length) await sql`SELECT setval(pg_get_serial_sequence(${t}, 'id'), (SELECT MAX(id) FROM ${sql.table(t)}))`.execute(trx);
        report.tables.push({ table: t, rows: rows.length });
      }
    });
    for (const { table, rows } of report.tables) {
      const n = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(target.db)).rows[0]?.n ?? 0);
      if (n !== rows) throw new Error(`表 ${table} 复制后行数不符：源 ${rows}，目标 ${n}`);
    }
    // Rows written in bulk leave the planner without statistics until autovacuum gets round to them, and until then
    // it plans from guessed row counts. Gather them now, before the first instance starts.
    await sql`ANALYZE`.execute(target.db);
    return report;
  } finally {
    source.close();
    await target.close();
  }
}

/**
 * Tables the target's triggers fill from the rows copied (migrations/0017: report_heads from reports). Copying them as
 * well would collide with what the triggers already wrote.
 */
const KEPT_BY_TRIGGERS = ["report_heads"];

/**
 * Parents before children, from SQLite's own foreign-key list; migration bookkeeping is left to the target, and so are
 * tables its triggers keep.
 */
function tablesInDependencyOrder(db: BetterSqlite3.Database): string[] {
  const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('d1_migrations', '_cf_KV') ORDER BY name").pluck().all() as string[]).filter((n) => !KEPT_BY_TRIGGERS.includes(n));
  const parents = new Map(names.map((n) => [n, (db.prepare(`PRAGMA foreign_key_list("${n}")`).all() as { table: string }[]).map((f) => f.table).filter((p) => p !== n)]));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const p of parents.get(n) ?? []) if (names.includes(p)) visit(p);
    out.push(n);
  };
  names.forEach(visit);
  return out;
}
