import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql, type Transaction } from "kysely";
import type { Database } from "../src/store/schema.js";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite } from "../src/store/sqlite.js";
import { transactionsTogether } from "../src/store/transactions-together.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function store() {
  const dir = mkdtempSync(join(tmpdir(), "duban-together-"));
  dirs.push(dir);
  const path = join(dir, "duban.sqlite");
  return { path, ...openSqlite({ path, synchronous: "FULL" }) };
}
const unit = (name: string) => ({ jurisdiction: "重庆市渝中区", name, kind: "unit" as const });
const names = ["区教委", "区民政局", "区财政局", "区商务委", "区住建委"];

/** Five works asked for in one turn, each inserting its unit and then doing `after` (which may fail). */
const insertEach = (s: ReturnType<typeof store>, after: (i: number, trx: Transaction<Database>) => Promise<void>) => {
  const together = transactionsTogether(s.db);
  return Promise.allSettled(
    names.map((n, i) =>
      together(async (trx) => {
        await trx.insertInto("units").values(unit(n)).execute();
        await after(i, trx);
        return n;
      }),
    ),
  );
};

describe("transactions asked for together", () => {
  it("commit once for all of them, and each caller gets its own result once its rows are committed", async () => {
    const s = store();
    const together = transactionsTogether(s.db);
    const other = new BetterSqlite3(s.path, { readonly: true });
    const seenBy = await Promise.all(
      names.map((n) =>
        together(async (trx) => {
          const r = await trx.insertInto("units").values(unit(n)).returning("id").executeTakeFirstOrThrow();
          return r.id;
        }).then((id) => ({ id, visibleElsewhere: other.prepare("SELECT name FROM units WHERE id = ?").pluck().get(id) })),
      ),
    );
    expect(seenBy.map((x) => x.visibleElsewhere)).toEqual(names);
    expect(new Set(seenBy.map((x) => x.id)).size).toBe(5);
    expect(s.groupCommit!.stats.commits).toBe(1);
    other.close();
    await s.close();
  });

  it("roll back only the one that failed: its caller gets the error, the others are stored", async () => {
    const s = store();
    const results = await insertEach(s, async (i) => {
      if (i === 2) throw new Error("handler failed after writing");
    });
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ message: "handler failed after writing" });
    const stored = await s.db.selectFrom("units").select("name").where("jurisdiction", "=", "重庆市渝中区").orderBy("id").execute();
    expect(stored.map((r) => r.name)).toEqual(["区教委", "区民政局", "区商务委", "区住建委"]);
    await s.close();
  });

  it("fail every caller and store nothing of theirs when the shared transaction itself is lost", async () => {
    const s = store();
    const results = await insertEach(s, async (i, trx) => {
      // What SQLite does on some errors (a full disk, an interrupt): the whole transaction is given up.
      if (i === 1) await sql`ROLLBACK`.execute(trx);
    });
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    const stored = await s.db.selectFrom("units").select("name").where("jurisdiction", "=", "重庆市渝中区").execute();
    expect(stored).toEqual([]);
    // The store goes on working.
    await expect(transactionsTogether(s.db)((trx) => trx.insertInto("units").values(unit("区卫健委")).execute())).resolves.toBeDefined();
    await s.close();
  });

  it("start a new batch for work asked for after a batch has started", async () => {
    const s = store();
    const together = transactionsTogether(s.db);
    const first = together((trx) => trx.insertInto("units").values(unit("区教委")).execute());
    await new Promise((r) => setImmediate(r));
    const second = together((trx) => trx.insertInto("units").values(unit("区民政局")).execute());
    await Promise.all([first, second]);
    expect(s.groupCommit!.stats.commits).toBe(2);
    await s.close();
  });
});
