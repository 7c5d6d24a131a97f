import { closeSync, fstatSync, fsync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { nextTurn, TurnSlice } from "./turns.js";
import { SelectQueryNode, SqliteDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryCompiler, type QueryResult, type SqliteDialectConfig, type TransactionSettings } from "kysely";

/**
 * Group commit for SQLite in WAL mode. With synchronous=FULL SQLite fsyncs the WAL inside every COMMIT, on the main
 * thread: the whole process stops for each event's fsync, and two events can never share one. Here the connection
 * runs synchronous=NORMAL (a commit writes the WAL without syncing it) and whoever committed waits for an fsync of
 * the WAL done off the main thread before it is told the commit happened. Commits made while one fsync runs are
 * covered together by the next, so under load many events share an fsync, and the event loop keeps answering while
 * the disk works. Every commit is still on disk before anyone acts on it — the guarantee of FULL: an HTTP answer
 * (an ack, a card callback's result) goes out only after its data is durable, and an outbox row is sent only after
 * the worker's claim, a later commit, is durable, which covers the row. The WAL is append-only and one fsync covers
 * everything written to it before, so a commit that saw another's data is never durable without it.
 */
export class GroupCommit {
  #written = 0;
  #synced = 0;
  #syncing: Promise<void> | null = null;
  /** fsyncs done, and commits they covered (for the benchmarks). */
  readonly stats = { syncs: 0, commits: 0 };

  constructor(
    private readonly sync: () => Promise<void>,
    /** Called once the store closes, after the last sync (the WAL file's descriptor is let go). */
    private readonly onClose: () => void = () => {},
  ) {}

  /** Waits for every commit so far to be on disk, then lets the file go. */
  async close(): Promise<void> {
    await this.durable();
    this.onClose();
  }

  /** A commit has been written (not yet synced); returns its number. */
  noteCommit(): number {
    this.stats.commits++;
    return ++this.#written;
  }

  /** Resolves once commit `upTo` (by default every commit so far) is on disk. */
  async durable(upTo = this.#written): Promise<void> {
    while (this.#synced < upTo) {
      if (!this.#syncing) {
        const target = this.#written;
        this.stats.syncs++;
        this.#syncing = this.sync()
          .then(() => {
            this.#synced = Math.max(this.#synced, target);
          })
          .finally(() => {
            this.#syncing = null;
          });
      }
      await this.#syncing;
    }
  }
}

/**
 * fsync of the database's WAL file on libuv's thread pool. The file stays open from one sync to the next: opening
 * it for each (a FileHandle each time) cost more main-thread CPU than the sync itself. SQLite keeps the WAL file while
 * a connection is open; should it ever have been removed (no link left, so syncing our descriptor would sync a file
 * nobody reads), it is opened again. Without a WAL file nothing is in it to sync, and the database file is.
 */
export class WalFile {
  #fd: number | null = null;
  constructor(private readonly databasePath: string) {}

  async sync(): Promise<void> {
    if (this.#fd !== null && fstatSync(this.#fd).nlink === 0) this.close();
    if (this.#fd === null) {
      try {
        this.#fd = openSync(`${this.databasePath}-wal`, "r");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        const fd = openSync(this.databasePath, "r");
        try {
          return await fsyncOf(fd);
        } finally {
          closeSync(fd);
        }
      }
    }
    await fsyncOf(this.#fd);
  }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }
}

const fsyncOf = (fd: number) => new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));

/** Once at open: the migrations' commits and the WAL file's directory entry reach the disk. */
export function syncNow(databasePath: string): void {
  for (const p of [`${databasePath}-wal`, dirname(databasePath)]) {
    let fd: number;
    try {
      fd = openSync(p, "r");
    } catch {
      continue;
    }
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Who has SQLite's one connection, and who gets it next. Shared by the store's two Kysely instances over that
 * connection (GroupCommitDialect): the store itself, whose waiters get the connection in arrival order, one per later
 * turn of the event loop, and the acks' lane, whose waiters get it as soon as it is given back, before anyone waiting
 * in the store's queue, and also while it is passing to the next of those (between two turns nobody is using it).
 *
 * Why a lane: an ack's inbox row is one small statement, and the HTTP answer waits for it. In the store's queue it
 * waited behind every answer transaction and job start queued at that moment (up to 34 statements at 500 events/s
 * with 64 jobs per read worker, each a turn of the event loop apart), so the ack p99 grew with the read workers'
 * batch size. In its lane at most the statement running now is ahead of it.
 */
export class ConnectionTurns {
  #running = false;
  #granting = false;
  readonly #queued: (() => void)[] = [];
  readonly #first: (() => void)[] = [];
  /** The commit the current holder of the connection made last (0: none). */
  pending = 0;
  #changes = -1;
  readonly #totalChanges: BetterSqlite3.Statement;
  readonly slice = new TurnSlice();
  /** How many statements were waiting in the store's queue when an ack's statement asked: what the lane skipped. */
  readonly stats = { firstAsked: 0, queuedAheadMax: 0 };

  constructor(
    readonly raw: BetterSqlite3.Database,
    readonly commits: GroupCommit | null,
  ) {
    this.#totalChanges = raw.prepare("SELECT total_changes()").pluck();
  }

  /** Resolves once the caller holds the connection. */
  async take(first: boolean): Promise<void> {
    if (first) {
      this.stats.firstAsked++;
      this.stats.queuedAheadMax = Math.max(this.stats.queuedAheadMax, this.#queued.length);
    }
    if (!this.#running && (first || (!this.#granting && this.#queued.length === 0))) this.#running = true;
    // Ownership passes from the giver to the waiter, so nobody can take the connection in between.
    else await new Promise<void>((r) => (first ? this.#first : this.#queued).push(r));
    this.slice.note();
  }

  /** The holder is done with it. */
  give(): void {
    const first = this.#first.shift();
    if (first) return first();
    this.#running = false;
    if (this.#queued.length > 0 && !this.#granting) {
      this.#granting = true;
      // The next waiter gets it in a later turn, after the network has been polled.
      void nextTurn().then(() => this.#grant());
    }
  }

  #grant(): void {
    this.#granting = false;
    // An ack's statement took it meanwhile: giving it back schedules the next grant.
    if (this.#running) return;
    const next = this.#queued.shift();
    if (!next) return;
    this.#running = true;
    next();
  }

  /** After a statement outside a transaction: did it commit rows (an autocommit write, or the COMMIT itself)? */
  noteStatement(q: CompiledQuery): void {
    if (!this.commits || this.raw.inTransaction || SelectQueryNode.is(q.query)) return;
    // SQLite's running count of changed rows says whether it did.
    const total = this.#totalChanges.get() as number;
    if (total !== this.#changes) {
      this.#changes = total;
      this.pending = this.commits.noteCommit();
    }
  }
}

/**
 * SqliteDialect whose driver takes SQLite's connection in turns (ConnectionTurns), yields to the event loop between
 * statements once a turn has run long enough, and, with a GroupCommit (synchronous=FULL on a file), reports commits to
 * it and waits for them after letting the connection go. `first`: the acks' lane.
 *
 * Kysely's own driver hands SQLite's single connection to the next waiter as a microtask: when a transaction ends,
 * every transaction waiting for the connection runs right after it in the same turn of the event loop, and with a
 * dozen events queued the server answered nothing for hundreds of milliseconds. Here the connection passes to the next
 * waiter (in arrival order) in a later turn, after the network has been polled.
 *
 * Yields happen only after a statement (or a transaction) has given the connection back. A yield while holding it
 * (a Kysely plugin's transformResult runs before the release) kept every ack waiting for the holder's next turn, and
 * at 500 events/s acks waited for the connection p50 0.4–2.1 s; inside a transaction nothing yields, so a transaction
 * holds the connection for one stretch of synchronous work and never across turns of the event loop.
 */
export class GroupCommitDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly turns: ConnectionTurns,
    private readonly first = false,
  ) {
    super(config);
  }
  override createDriver(): Driver {
    return new GroupCommitDriver(super.createDriver(), this.turns, this.first);
  }
}

class GroupCommitDriver implements Driver {
  #inner: DatabaseConnection | null = null;
  #wrapped: DatabaseConnection | null = null;

  constructor(
    private readonly driver: Driver,
    private readonly turns: ConnectionTurns,
    private readonly first: boolean,
  ) {}

  init() {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.turns.take(this.first);
    const inner = await this.driver.acquireConnection();
    if (this.#inner !== inner) {
      this.#inner = inner;
      this.#wrapped = {
        executeQuery: async <R>(q: CompiledQuery): Promise<QueryResult<R>> => {
          const r = await inner.executeQuery<R>(q);
          this.turns.noteStatement(q);
          return r;
        },
        streamQuery: (q, chunkSize) => inner.streamQuery(q, chunkSize),
      };
    }
    return this.#wrapped!;
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings) {
    return this.driver.beginTransaction(c, settings);
  }
  commitTransaction(c: DatabaseConnection) {
    return this.driver.commitTransaction(c);
  }
  rollbackTransaction(c: DatabaseConnection) {
    return this.driver.rollbackTransaction(c);
  }
  async savepoint(c: DatabaseConnection, name: string, compile: QueryCompiler["compileQuery"]) {
    await this.driver.savepoint!(c, name, compile);
  }
  async rollbackToSavepoint(c: DatabaseConnection, name: string, compile: QueryCompiler["compileQuery"]) {
    await this.driver.rollbackToSavepoint!(c, name, compile);
  }
  async releaseSavepoint(c: DatabaseConnection, name: string, compile: QueryCompiler["compileQuery"]) {
    await this.driver.releaseSavepoint!(c, name, compile);
  }
  async releaseConnection(_c: DatabaseConnection): Promise<void> {
    const pending = this.turns.pending;
    this.turns.pending = 0;
    await this.driver.releaseConnection(this.#inner!);
    this.turns.give();
    // Its work overlaps this fsync, and its commit may join the next one. Waiting for the disk is a yield already,
    // and a commit (an ack's inbox row above all) is not sent to the back of the queue of turns after it.
    if (pending) await this.turns.commits!.durable(pending);
    else if (this.turns.slice.spent()) await nextTurn();
  }
  async destroy() {
    // The acks' lane shares the store's connection and group commit: the store's own driver closes them.
    if (this.first) return;
    await this.turns.commits?.close();
    await this.driver.destroy();
  }
}
