import type { Kysely } from "kysely";
import { openPostgres } from "./postgres.js";
import type { Database } from "./schema.js";
import { openSqlite } from "./sqlite.js";
import type { GroupCommit } from "./group-commit.js";

/** The store the Node runtime runs on: one Kysely schema over SQLite (one instance) or PostgreSQL (several). */
export interface Store {
  db: Kysely<Database>;
  /** The store for acks' inbox rows (SqliteStore.acks); `db` where nothing waits for a single connection. */
  acks: Kysely<Database>;
  dialect: "sqlite" | "postgres";
  /** Where the data lives, for the start-up line: a file path, or the PostgreSQL host and database without credentials. */
  label: string;
  /** SQLite on a file with synchronous=FULL: its group commit (the stats count fsyncs, for the benchmarks); else null. */
  groupCommit: GroupCommit | null;
  close(): Promise<void>;
}

/**
 * `serve`: the store of the long-running server, whose SQLite WAL is checkpointed on a worker thread
 * (src/store/checkpointer.ts); a command-line tool that writes once and exits leaves that to SQLite.
 */
export async function openStore(o: { databaseUrl?: string | undefined; databasePath: string; serve?: boolean }): Promise<Store> {
  if (o.databaseUrl) {
    const url = new URL(o.databaseUrl);
    if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new Error(`DATABASE_URL must start with postgres:// (got ${url.protocol})`);
    const pg = await openPostgres(o.databaseUrl);
    return { db: pg.db, acks: pg.db, dialect: "postgres", label: `postgres://${url.host}${url.pathname}`, groupCommit: null, close: () => pg.close() };
  }
  const s = openSqlite({ path: o.databasePath, checkpointElsewhere: o.serve === true });
  return { db: s.db, acks: s.acks, dialect: "sqlite", label: s.raw.name, groupCommit: s.groupCommit, close: () => s.close() };
}
