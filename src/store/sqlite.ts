import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, type SqliteDatabase } from "kysely";
import type { Database } from "./schema.js";
import { ConnectionTurns, GroupCommit, GroupCommitDialect, syncNow, WalFile } from "./group-commit.js";
import { checkpointElsewhere, type Checkpointer } from "./checkpointer.js";
import { preparedOnce } from "./statement-cache.js";
import { splitStatements, type Migration } from "./migrations.js";

// src/store/ under tsx, dist/src/store/ when compiled by `npm run build`: the SQL files stay at the repository root.
const here = dirname(fileURLToPath(import.meta.url));
const MIGRATIONS_DIR = [join(here, "..", "..", "migrations"), join(here, "..", "..", "..", "migrations")].find((d) => existsSync(d)) ?? join(here, "..", "..", "migrations");

export function loadMigrationFiles(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

/**
 * Applies pending migrations, each inside one better-sqlite3 transaction, and records them in the same
 * `d1_migrations` table wrangler keeps on D1, so one history shape serves both stores.
 */
export function migrateSqlite(raw: BetterSqlite3.Database, migrations = loadMigrationFiles()): string[] {
  raw.exec(`CREATE TABLE IF NOT EXISTS d1_migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
  const done = new Set(raw.prepare("SELECT name FROM d1_migrations").pluck().all() as string[]);
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.name)) continue;
    raw.transaction(() => {
      for (const stmt of splitStatements(m.sql)) raw.exec(stmt);
      raw.prepare("INSERT INTO d1_migrations (name) VALUES (?)").run(m.name);
    })();
    applied.push(m.name);
  }
  return applied;
}

export interface SqliteStore {
  db: Kysely<Database>;
  /**
   * The same store for the one statement an ack waits for (an event's inbox row): it takes SQLite's connection before
   * the statements waiting for it through `db` (ConnectionTurns). Nothing else should use it, or acks wait behind it.
   */
  acks: Kysely<Database>;
  /** Who has the connection; its stats count how many statements the acks found waiting (what their lane skipped). */
  turns: ConnectionTurns;
  raw: BetterSqlite3.Database;
  /** The group commit behind synchronous=FULL on a file (null with NORMAL or in memory); its stats count fsyncs. */
  groupCommit: GroupCommit | null;
  /** The worker that checkpoints the WAL when asked for (checkpointElsewhere); null otherwise. */
  checkpointer: Checkpointer | null;
  close(): Promise<void>;
}

export interface OpenSqliteOptions {
  /** `:memory:` for tests; otherwise a file path (its folder is created). */
  path: string;
  /**
   * FULL makes an acknowledged report survive power loss, not only a crash: whoever commits through `db` is answered
   * only once the commit is on disk. Each event's work commits once (see Services.transaction), and concurrent
   * events share their fsyncs (group commit, src/store/group-commit.ts). NORMAL answers before the fsync.
   */
  synchronous?: "NORMAL" | "FULL";
  /**
   * Checkpoint the WAL on a worker thread, not in the commits of this connection (src/store/checkpointer.ts): for the
   * long-running server; a file only.
   */
  checkpointElsewhere?: boolean;
}

export function openSqlite({ path, synchronous = sqliteSynchronousFromEnv(), checkpointElsewhere: elsewhere = false }: OpenSqliteOptions): SqliteStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path, { timeout: 5000 });
  const journal = String(raw.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
  // FULL on a file is kept by the group commit, which syncs the WAL itself: SQLite's own per-commit fsync is off.
  // (A file system without WAL support keeps a rollback journal, and SQLite's own FULL.)
  const groupCommit = synchronous === "FULL" && path !== ":memory:" && journal === "wal" ? groupCommitOn(new WalFile(path)) : null;
  raw.pragma(`synchronous = ${groupCommit ? "NORMAL" : synchronous}`);
  raw.pragma("foreign_keys = ON");
  raw.pragma(`cache_size = -${sqliteCacheKiB()}`);
  migrateSqlite(raw);
  if (groupCommit) syncNow(path);
  const config = { database: preparedOnce(raw) };
  const turns = new ConnectionTurns(raw, groupCommit);
  const db = new Kysely<Database>({ dialect: new GroupCommitDialect(config, turns) });
  const acks = new Kysely<Database>({ dialect: new GroupCommitDialect(config, turns, true) });
  const checkpointer = elsewhere && path !== ":memory:" && journal === "wal" ? checkpointElsewhere(raw, path) : null;
  return {
    db,
    acks,
    raw,
    groupCommit,
    turns,
    checkpointer,
    async close() {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/** A statement that would write, prepared on a read-only connection (openSqliteReader). */
export class WriteOnReader extends Error {}

/**
 * A second connection to the same SQLite file that only reads, for a read worker (src/node/read-worker.ts): in WAL
 * mode it reads beside the writer's connection without waiting for it or making it wait. The same statement cache and
 * Kysely dialect as the writer, without group commit (it commits nothing) and without migrating (the writer has).
 * A statement that would write is refused before it runs (WriteOnReader), and `onWrite` is told, so the caller can
 * run that work where writing is possible instead of reporting SQLite's refusal as the command's failure.
 */
export function openSqliteReader(path: string, onWrite: (sql: string) => void = () => {}): { db: Kysely<Database>; close(): Promise<void> } {
  const raw = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  raw.pragma(`cache_size = -${sqliteCacheKiB()}`);
  const cached = preparedOnce(raw);
  const database: SqliteDatabase = {
    close: cached.close,
    prepare(sql) {
      const stmt = cached.prepare(sql);
      if (!stmt.readonly) {
        onWrite(sql);
        throw new WriteOnReader(`a read-only connection cannot run: ${sql.slice(0, 80)}`);
      }
      return stmt;
    },
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, close: () => db.destroy() };
}

const groupCommitOn = (wal: WalFile) => new GroupCommit(() => wal.sync(), () => wal.close());

export const defaultDatabasePath = () => process.env.DATABASE_PATH ?? join(process.cwd(), "data", "duban.sqlite");

/** SQLITE_SYNCHRONOUS=NORMAL trades power-loss durability of the last commits for write speed (crash-safe either way). */
/**
 * The connection's page cache, in KiB. SQLite's default is 2 MiB, a few hundred pages: with a long history (a million
 * reports) the index pages a /我的任务 seeks through did not stay in it, and each was read again from the operating
 * system (a system call and a copy per page): store work per event 0.78–0.94 ms at 1M reports against 0.63–0.65 ms
 * with 64 MiB, which is about what it takes at 10k. The cache fills only as pages are read, up to this size.
 */
export function sqliteCacheKiB(value = process.env["SQLITE_CACHE_MB"]): number {
  if (value === undefined || value === "") return 64 * 1024;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 4096) {
    throw new Error(`SQLITE_CACHE_MB must be a whole number of MiB from 1 to 4096 (got "${value.slice(0, 20)}")`);
  }
  return Number(value) * 1024;
}

function sqliteSynchronousFromEnv(): "NORMAL" | "FULL" {
  return process.env["SQLITE_SYNCHRONOUS"]?.toUpperCase() === "NORMAL" ? "NORMAL" : "FULL";
}
