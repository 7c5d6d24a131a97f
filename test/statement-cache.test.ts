import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { preparedOnce } from "../src/store/statement-cache.js";

/** Rows from the cache (built in JS from arrays) against better-sqlite3's own row objects, for the same statement. */
function bothWays(db: BetterSqlite3.Database, sql: string, params: unknown[] = []) {
  const ours = preparedOnce(db).prepare(sql);
  return { ours: ours.all(params), theirs: db.prepare(sql).all(...params), ours1: [...ours.iterate(params)] };
}

describe("the statement cache's rows", () => {
  const db = new BetterSqlite3(":memory:");
  db.exec(`CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT, note TEXT, v REAL, b BLOB);
           CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, name TEXT);
           INSERT INTO a VALUES (1, '区卫健委', NULL, 80.5, x'00ff'), (2, '区教委', '说明', -1, NULL);
           INSERT INTO b VALUES (10, 1, '牵头'), (11, 2, '配合');`);

  it("are the objects better-sqlite3 builds: the same keys in the same order, NULLs, numbers, blobs and texts", () => {
    const { ours, theirs, ours1 } = bothWays(db, "SELECT * FROM a ORDER BY id");
    expect(ours).toEqual(theirs);
    expect(ours.map((r) => Object.keys(r as object))).toEqual(theirs.map((r) => Object.keys(r as object)));
    expect(ours1).toEqual(theirs);
  });

  it("keep a repeated column name where better-sqlite3 does (first position, last value), and aliases as written", () => {
    const { ours, theirs } = bothWays(db, "SELECT b.name, a.id, a.name, b.id AS link FROM a JOIN b ON b.a_id = a.id WHERE a.id = ?", [2]);
    expect(ours).toEqual([{ name: "区教委", id: 2, link: 11 }]);
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours[0] as object)).toEqual(Object.keys(theirs[0] as object));
  });

  it("never give a row a prototype from a column named __proto__", () => {
    const { ours, theirs } = bothWays(db, `SELECT id AS "__proto__", name FROM a WHERE id = 1`);
    expect(ours).toEqual(theirs);
    expect(Object.getPrototypeOf(ours[0])).toBe(Object.prototype);
  });

  it("still run writes, and a statement with RETURNING gives its rows", () => {
    const cache = preparedOnce(db);
    const ins = cache.prepare("INSERT INTO b (a_id, name) VALUES (?, ?) RETURNING id, name");
    expect(ins.reader).toBe(true);
    expect(ins.all([1, "督办"])).toEqual([{ id: 12, name: "督办" }]);
    expect(Number(cache.prepare("UPDATE b SET name = ? WHERE id = ?").run(["督查", 12]).changes)).toBe(1);
    expect(cache.prepare("SELECT name FROM b WHERE id = ?").readonly).toBe(true);
    expect(ins.readonly).toBe(false);
  });
});
