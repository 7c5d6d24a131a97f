import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { recordEvent } from "../src/events/inbox.js";
import { openSqlite } from "../src/store/sqlite.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const openFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "duban-inbox-"));
  dirs.push(dir);
  return openSqlite({ path: join(dir, "duban.sqlite"), synchronous: "FULL" });
};

describe("the inbox, for events that arrive together", () => {
  it("records them with one commit, takes each event once, and a second event id for a known message is a duplicate", async () => {
    const store = openFile();
    const now = new Date("2026-12-06T10:00:00Z");
    const message = (eventId: string, messageId: string) => recordEvent(store.db, { eventId, messageId, kind: "im.message.receive_v1", payload: { eventId }, now, together: true });
    const commits = store.groupCommit!.stats.commits;
    const fresh = await Promise.all([
      message("e1", "m1"),
      message("e2", "m2"),
      message("e1", "m1"), // Lark's retry of e1, delivered beside it
      message("e3", "m1"), // m1 again under a new event id
      recordEvent(store.db, { eventId: "b1", kind: "im.chat.member.bot.added_v1", payload: null, now, together: true }),
      message("e4", "m4"),
    ]);
    expect(fresh).toEqual([true, true, false, false, true, true]);
    // One statement for all six, and the duplicate mark of e3.
    expect(store.groupCommit!.stats.commits - commits).toBe(2);
    const rows = await store.db.selectFrom("processed_events").select(["key", "status", "payload"]).orderBy("key").execute();
    expect(rows).toEqual([
      { key: "event:b1", status: "received", payload: "null" },
      { key: "event:e1", status: "received", payload: '{"eventId":"e1"}' },
      { key: "event:e2", status: "received", payload: '{"eventId":"e2"}' },
      { key: "event:e3", status: "duplicate", payload: null },
      { key: "event:e4", status: "received", payload: '{"eventId":"e4"}' },
      { key: "message:m1", status: "done", payload: null },
      { key: "message:m2", status: "done", payload: null },
      { key: "message:m4", status: "done", payload: null },
    ]);
    // A later delivery of any of them is a duplicate, whether it comes alone or with others.
    expect(await Promise.all([message("e1", "m1"), message("e5", "m5")])).toEqual([false, true]);
    expect(await recordEvent(store.db, { eventId: "e2", messageId: "m2", kind: "im.message.receive_v1", payload: {}, now })).toBe(false);
    await store.close();
  });

  it("fails every event of a statement that fails, storing none of them", async () => {
    const store = openFile();
    const now = new Date("2026-12-06T10:00:00Z");
    store.raw.exec("CREATE TRIGGER refuse BEFORE INSERT ON processed_events WHEN NEW.key = 'event:bad' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const results = await Promise.allSettled(["ok1", "bad", "ok2"].map((id) => recordEvent(store.db, { eventId: id, messageId: `m_${id}`, kind: "im.message.receive_v1", payload: {}, now, together: true })));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await store.db.selectFrom("processed_events").select("key").execute()).toEqual([]);
    // Delivered again, the good ones are taken.
    expect(await recordEvent(store.db, { eventId: "ok1", messageId: "m_ok1", kind: "im.message.receive_v1", payload: {}, now, together: true })).toBe(true);
    await store.close();
  });
});
