import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeReusable } from "../src/store/compiled-once.js";
import type { Database } from "../src/store/schema.js";
import { openSqlite, type SqliteStore } from "../src/store/sqlite.js";

// A statement compiled once and run with other values must answer exactly what building it afresh answers.
let store: SqliteStore;
let db: Kysely<Database>;
beforeAll(async () => {
  store = openSqlite({ path: ":memory:" });
  db = store.db;
  await db.insertInto("units").values(Array.from({ length: 30 }, (_, k) => ({ id: k + 1, jurisdiction: k % 2 ? "甲区" : "乙区", name: `单位${k + 1}`, kind: "unit" as const }))).execute();
});
afterAll(() => store.close());

const unitsIn = (d: Kysely<Database>) => ({
  key: "test/units-in/3",
  build: (v: readonly [number, number, number, string]) =>
    d.selectFrom("units").select(["id", "name"]).where("id", "in", [v[0], v[1], v[2]]).where("jurisdiction", "=", v[3]).orderBy("id"),
});

describe("a statement compiled once", () => {
  it("answers each call's values in their places, outside and inside a transaction", async () => {
    const calls: [number, number, number, string][] = [[1, 2, 3, "甲区"], [4, 5, 6, "乙区"], [30, 29, 2, "乙区"], [7, 7, 9, "甲区"]];
    for (const values of calls) {
      const fresh = await unitsIn(db).build(values).execute();
      expect(await executeReusable(db, unitsIn(db), values)).toEqual(fresh);
      expect(await db.transaction().execute((trx) => executeReusable(trx, unitsIn(trx), values))).toEqual(fresh);
    }
    expect(await executeReusable(db, unitsIn(db), [2, 4, 6, "甲区"])).toEqual([{ id: 2, name: "单位2" }, { id: 4, name: "单位4" }, { id: 6, name: "单位6" }]);
  });

  it("binds a null like any value, and keeps the statement a builder wrote for a null apart", async () => {
    // A null bound into an insert, between two calls that bind a name there.
    const member = (d: Kysely<Database>) => ({
      key: "test/member",
      build: ([openId, name]: readonly [string, string | null]) =>
        d.insertInto("members").values({ open_id: openId, unit_id: 1, role: "member", name, created_at: "2026-12-06T00:00:00Z" }).returning(["open_id", "name"]),
    });
    expect(await executeReusable(db, member(db), ["ou_1", "张三"])).toEqual([{ open_id: "ou_1", name: "张三" }]);
    expect(await executeReusable(db, member(db), ["ou_2", null])).toEqual([{ open_id: "ou_2", name: null }]);
    expect(await executeReusable(db, member(db), ["ou_3", "李四"])).toEqual([{ open_id: "ou_3", name: "李四" }]);
    // A builder that writes `is null` for a null: a name, then no name, then a name again, each as a fresh build.
    const named = (d: Kysely<Database>) => ({
      key: "test/named",
      build: ([name]: readonly [string | null]) =>
        d.selectFrom("members").select("open_id").where((eb) => (name === null ? eb("name", "is", null) : eb("name", "=", name))).orderBy("open_id"),
    });
    for (const name of ["张三", null, "李四", null]) {
      const fresh = await named(db).build([name]).execute();
      expect(fresh).toHaveLength(1);
      expect(await executeReusable(db, named(db), [name])).toEqual(fresh);
    }
  });

  it("builds afresh every time when the values do not come out as its parameters in order", async () => {
    // One value written into the SQL, one bound twice: a compiled copy would answer with the first call's values.
    const inlined = { key: "test/inlined", build: (v: readonly [number]) => db.selectFrom("units").select("name").where("id", "=", sql.lit(v[0])) };
    const twice = { key: "test/twice", build: (v: readonly [number]) => db.selectFrom("units").select("name").where("id", "=", v[0]).where("id", "<=", v[0]) };
    for (const id of [3, 8, 21]) {
      expect(await executeReusable(db, inlined, [id])).toEqual([{ name: `单位${id}` }]);
      expect(await executeReusable(db, twice, [id])).toEqual([{ name: `单位${id}` }]);
    }
  });
});
