import type { D1Database, D1Result } from "@cloudflare/workers-types";
import { Kysely, type Compilable, type CompiledQuery } from "kysely";
import { D1Dialect } from "kysely-d1";
import type { Database } from "./schema.js";

/**
 * The store on D1. Migrations are not run here: D1 gets the same migrations/*.sql through
 * `wrangler d1 migrations apply` (Kysely's Migrator trips over D1's internal _cf_* tables).
 */
export function openD1(database: D1Database): Kysely<Database> {
  return new Kysely<Database>({ dialect: new D1Dialect({ database }) });
}

/**
 * Runs Kysely-built statements as one D1 batch, which D1 applies as a single SQL transaction: if one statement
 * fails, none is kept. This is the only atomic multi-statement write D1 offers (no interactive transactions), so
 * statements cannot read each other's results — push conditions into SQL (`INSERT … SELECT … WHERE`).
 */
export async function d1Batch(database: D1Database, queries: ReadonlyArray<Compilable | CompiledQuery>): Promise<D1Result[]> {
  if (queries.length === 0) return [];
  const statements = queries.map((q) => {
    const compiled = "compile" in q ? q.compile() : q;
    return database.prepare(compiled.sql).bind(...(compiled.parameters as unknown[]));
  });
  return database.batch(statements);
}
