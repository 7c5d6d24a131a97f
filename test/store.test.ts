import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrationFiles, migrateSqlite, openSqlite, sqliteCacheKiB } from "../src/store/sqlite.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the embedded store", () => {
  it("keeps a 64 MiB page cache unless SQLITE_CACHE_MB says otherwise, and refuses a size it cannot use with how to fix it", async () => {
    const store = openSqlite({ path: ":memory:" });
    expect(store.raw.pragma("cache_size", { simple: true })).toBe(-64 * 1024);
    await store.close();
    expect(sqliteCacheKiB("256")).toBe(256 * 1024);
    for (const bad of ["0", "-5", "1.5", "64MB", "99999"]) expect(() => sqliteCacheKiB(bad)).toThrow(/SQLITE_CACHE_MB must be a whole number of MiB from 1 to 4096/);
  });

  it("creates the database file with WAL and keeps data across a reopen, applying each migration once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-store-"));
    dirs.push(dir);
    const path = join(dir, "nested", "duban.sqlite");
    const first = openSqlite({ path });
    expect(first.raw.pragma("journal_mode", { simple: true })).toBe("wal");
    await first.db
      .insertInto("units")
      .values({ jurisdiction: "重庆市渝中区", name: "区卫健委", kind: "unit" })
      .execute();
    await first.close();

    const second = openSqlite({ path });
    expect(migrateSqlite(second.raw)).toEqual([]);
    const applied = second.raw.prepare("SELECT name FROM d1_migrations ORDER BY id").pluck().all();
    expect(applied).toEqual(loadMigrationFiles().map((m) => m.name));
    const units = await second.db.selectFrom("units").select(["name", "jurisdiction"]).execute();
    expect(units).toEqual([{ name: "区卫健委", jurisdiction: "重庆市渝中区" }]);
    await second.close();
  });

  it("tells two offices with the same name in different jurisdictions apart, and refuses a duplicate in one", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    await db.insertInto("units").values({ jurisdiction: "重庆市渝中区", name: "区卫健委", kind: "unit" }).execute();
    await db.insertInto("units").values({ jurisdiction: "重庆市大足区", name: "区卫健委", kind: "unit" }).execute();
    await expect(
      db.insertInto("units").values({ jurisdiction: "重庆市渝中区", name: "区卫健委", kind: "unit" }).execute(),
    ).rejects.toThrow(/UNIQUE/);
    expect((await db.selectFrom("units").selectAll().execute()).length).toBe(2);
    await close();
  });

  it("keeps reported values append-only: a retried submission with the same request key stores one row", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const plan = await db
      .insertInto("plans")
      .values({ jurisdiction: "J", title: "T", issuer: null, issued_on: null, source_file: "f", source_hash: "h", imported_at: "2026-01-01" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const task = await db
      .insertInto("tasks")
      .values({ plan_id: plan.id, section_id: null, code: "1", ordinal: 1, title: null, text: "x", deadline: null, deadline_text: null, retired_at: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    const unit = await db.insertInto("units").values({ jurisdiction: "J", name: "U", kind: "unit" }).returning("id").executeTakeFirstOrThrow();
    const ind = await db
      .insertInto("indicators")
      .values({ task_id: task.id, ordinal: 1, key: "k", name: "n", unit_of_measure: "%", cmp: ">=", target: 81, target_year: 2027, baseline: null, baseline_year: null, quote: "q", period: "quarter", retired_at: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    const row = { indicator_id: ind.id, unit_id: unit.id, period: "2026Q4", value: 80, reporter_open_id: "ou_1", reported_at: "2026-11-24T00:00:00Z", note: null, request_key: "card:evt_1" };
    await db.insertInto("reports").values(row).onConflict((oc) => oc.column("request_key").doNothing()).execute();
    await db.insertInto("reports").values(row).onConflict((oc) => oc.column("request_key").doNothing()).execute();
    await db.insertInto("reports").values({ ...row, value: 81, request_key: "card:evt_2" }).execute();
    const rows = await db.selectFrom("reports").select(["value"]).orderBy("id").execute();
    expect(rows.map((r) => r.value)).toEqual([80, 81]);
    await close();
  });

  it("migration 0002 gives indicators imported before it a due year: the stated one, else the plan's objective year", async () => {
    const BetterSqlite3 = (await import("better-sqlite3")).default;
    const raw = new BetterSqlite3(":memory:");
    const [init, ...later] = loadMigrationFiles();
    migrateSqlite(raw, [init!]);
    raw.exec(`INSERT INTO plans (id, jurisdiction, title, source_file, source_hash, imported_at) VALUES (1, 'J', 'T', 'f', 'h', '2026-01-01');
      INSERT INTO tasks (id, plan_id, code, ordinal, text, deadline) VALUES (1, 1, '1', 1, 'x', NULL), (2, 1, '2', 2, 'y', '2025-12-31');
      INSERT INTO indicators (id, task_id, ordinal, key, name, cmp, target, target_year, quote) VALUES
        (1, 1, 1, 'a', 'a', '>=', 81, 2027, 'q'), (2, 1, 2, 'b', 'b', '>=', 5, NULL, 'q'), (3, 2, 1, 'c', 'c', '>=', 3, NULL, 'q');`);
    migrateSqlite(raw, later);
    const rows = raw.prepare("SELECT id, due_year, due_year_source FROM indicators ORDER BY id").all();
    expect(rows).toEqual([
      { id: 1, due_year: 2027, due_year_source: "text" },
      { id: 2, due_year: 2027, due_year_source: "objective_year" },
      { id: 3, due_year: 2025, due_year_source: "deadline" },
    ]);
    raw.close();
  });
});
