import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionTurns, GroupCommit, GroupCommitDialect, WalFile } from "../src/store/group-commit.js";
import type { Database } from "../src/store/schema.js";
import { migrateSqlite, openSqlite } from "../src/store/sqlite.js";
import { preparedOnce } from "../src/store/statement-cache.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempPath = () => {
  const dir = mkdtempSync(join(tmpdir(), "duban-gc-"));
  dirs.push(dir);
  return join(dir, "duban.sqlite");
};
const unit = (name: string) => ({ jurisdiction: "重庆市渝中区", name, kind: "unit" as const });

/** A store whose WAL fsyncs wait until the test lets them go (then really sync), to see who waits for the disk. */
function gatedStore(path: string) {
  const raw = new BetterSqlite3(path);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  migrateSqlite(raw);
  const wal = new WalFile(path);
  const held: (() => void)[] = [];
  const commits = new GroupCommit(async () => {
    await new Promise<void>((r) => held.push(r));
    await wal.sync();
  }, () => wal.close());
  const db = new Kysely<Database>({ dialect: new GroupCommitDialect({ database: preparedOnce(raw) }, new ConnectionTurns(raw, commits)) });
  const releaseSyncs = () => {
    for (const r of held.splice(0)) r();
  };
  return { db, commits, held, releaseSyncs };
}

const settled = async <T>(p: Promise<T>) => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return done;
};

describe("group commit (synchronous=FULL on a file)", () => {
  it("answers a write only after its fsync, lets reads and other writes run meanwhile, and one fsync covers the commits made while the previous one ran", async () => {
    const s = gatedStore(tempPath());
    const first = s.db.insertInto("units").values(unit("区卫健委")).execute();
    expect(await settled(first)).toBe(false);
    expect(s.held).toHaveLength(1);
    // The connection is free while the disk works: a read answers, with the committed row.
    expect(await s.db.selectFrom("units").select("name").execute()).toEqual([{ name: "区卫健委" }]);
    // Five more writers, a transaction among them, commit while the first fsync runs…
    const more = [
      ...["区教委", "区民政局", "区财政局", "区商务委"].map((n) => s.db.insertInto("units").values(unit(n)).execute()),
      s.db.transaction().execute(async (trx) => {
        await trx.insertInto("units").values(unit("区住建委")).execute();
        await trx.updateTable("units").set({ name: "区住房城乡建委" }).where("name", "=", "区住建委").execute();
      }),
    ];
    expect(await settled(Promise.all(more))).toBe(false);
    s.releaseSyncs();
    await first;
    // …and wait for the next one, which covers all five.
    expect(await settled(Promise.all(more))).toBe(false);
    expect(s.held).toHaveLength(1);
    s.releaseSyncs();
    await Promise.all(more);
    expect(s.commits.stats).toEqual({ syncs: 2, commits: 6 });
    // Reads never wait for the disk and never count as commits.
    await s.db.selectFrom("units").selectAll().execute();
    expect(s.commits.stats.syncs).toBe(2);
    await s.db.destroy();
  });

  // How many fsyncs the 40 commits share depends on how fast the disk is against a turn of the event loop (a fast one
  // can finish each before the next commit): the sharing itself is pinned by the gated test above.
  it("keeps every write of concurrent events across a reopen, each commit covered by an fsync", async () => {
    const path = tempPath();
    const store = openSqlite({ path, synchronous: "FULL" });
    expect(store.raw.pragma("synchronous", { simple: true })).toBe(1); // NORMAL: the group commit syncs instead
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto("units").values(unit(`单位${i}`)).execute();
        }),
      ),
    );
    const { syncs, commits } = store.groupCommit!.stats;
    expect(commits).toBe(40);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(commits);
    await store.close();
    const again = openSqlite({ path });
    expect((await again.db.selectFrom("units").select("name").execute()).length).toBe(40);
    await again.close();
  });

  // The files under `path` this process holds open, as the kernel names them (Linux; " (deleted)" once removed).
  const openFiles = (path: string) =>
    readdirSync("/proc/self/fd").flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(path) ? [target] : [];
      } catch {
        return [];
      }
    });

  it.runIf(existsSync("/proc/self/fd"))("keeps one descriptor of the WAL file across syncs, opens it again once the file was removed, and lets it go at close", async () => {
    const path = tempPath();
    writeFileSync(path, "");
    const wal = new WalFile(path);
    // No WAL file yet: the database file is synced, and nothing stays open.
    await wal.sync();
    expect(openFiles(path)).toEqual([]);
    writeFileSync(`${path}-wal`, "a");
    await wal.sync();
    await wal.sync();
    expect(openFiles(path)).toEqual([`${path}-wal`]);
    // Removed and created anew: the old descriptor (of a file nobody reads) is let go, the new file is synced.
    rmSync(`${path}-wal`);
    writeFileSync(`${path}-wal`, "b");
    await wal.sync();
    expect(openFiles(path)).toEqual([`${path}-wal`]);
    wal.close();
    expect(openFiles(path)).toEqual([]);
  });

  it("has no group commit to wait for with synchronous=NORMAL or in memory", () => {
    const normal = openSqlite({ path: tempPath(), synchronous: "NORMAL" });
    const memory = openSqlite({ path: ":memory:", synchronous: "FULL" });
    expect(normal.groupCommit).toBeNull();
    expect(memory.groupCommit).toBeNull();
    return Promise.all([normal.close(), memory.close()]);
  });

  it("writes an ack's inbox row before the statements waiting for the connection, and still one at a time", async () => {
    const s = openSqlite({ path: tempPath(), synchronous: "FULL" });
    // Six answer transactions of queued jobs ask for SQLite's connection; the first gets it, five wait for their turn.
    const answers = ["区教委", "区民政局", "区财政局", "区商务委", "区住建委", "区文旅委"].map((n) =>
      s.db.transaction().execute(async (trx) => {
        await trx.insertInto("units").values(unit(n)).execute();
        await trx.updateTable("units").set({ kind: "unit" }).where("name", "=", n).execute();
      }),
    );
    // Then an event arrives: its inbox row goes right after the transaction running now, and is durable.
    const ack = s.acks.insertInto("units").values(unit("区卫健委")).execute();
    await Promise.all([ack, ...answers]);
    const order = await s.db.selectFrom("units").select("name").where("jurisdiction", "=", "重庆市渝中区").orderBy("id").execute();
    expect(order.map((r) => r.name)).toEqual(["区教委", "区卫健委", "区民政局", "区财政局", "区商务委", "区住建委", "区文旅委"]);
    expect(s.turns.stats).toEqual({ firstAsked: 1, queuedAheadMax: 5 });
    expect(s.groupCommit!.stats.commits).toBe(7);
    await s.close();
  });
});
