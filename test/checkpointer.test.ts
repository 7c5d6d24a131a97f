import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite } from "../src/store/sqlite.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return ok();
};
const unit = (k: number) => ({ jurisdiction: "重庆市渝中区", name: `单位${k}`, kind: "unit" as const });

describe("WAL checkpoints on a worker thread (the server's store)", () => {
  it("copies committed pages into the database file while the server's own commits never checkpoint, and hands checkpoints back when stopped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-ckpt-"));
    dirs.push(dir);
    const path = join(dir, "duban.sqlite");
    const store = openSqlite({ path, synchronous: "NORMAL", checkpointElsewhere: true });
    expect(await until(() => store.raw.pragma("wal_autocheckpoint", { simple: true }) === 0)).toBe(true);
    const before = statSync(path).size;
    for (let k = 0; k < 1500; k++) await store.db.insertInto("units").values(unit(k)).execute();
    // Nothing on this connection checkpoints now; the database file grows only because the worker copies the WAL in.
    expect(await until(() => statSync(path).size > before)).toBe(true);
    await store.checkpointer!.stop();
    expect(store.raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    expect(await store.db.selectFrom("units").select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).toEqual({ n: 1500 });
    await store.close();
  });

  it("is not started for a store in memory or unless asked for", async () => {
    const memory = openSqlite({ path: ":memory:", checkpointElsewhere: true });
    const dir = mkdtempSync(join(tmpdir(), "duban-ckpt-"));
    dirs.push(dir);
    const plain = openSqlite({ path: join(dir, "a.sqlite") });
    expect(memory.checkpointer).toBeNull();
    expect(plain.checkpointer).toBeNull();
    expect(plain.raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await Promise.all([memory.close(), plain.close()]);
  });
});
