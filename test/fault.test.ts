import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { cardEvent } from "./support/events.js";

/**
 * Crash safety: the server is killed with SIGKILL while reports are being submitted; after a restart every
 * acknowledged report is stored exactly once, the database passes integrity_check, and Lark's retries of the
 * interrupted callbacks do not store anything twice.
 */
const dir = mkdtempSync(join(tmpdir(), "duban-fault-"));
const dbPath = join(dir, "duban.sqlite");
const port = 20000 + Math.floor(Math.random() * 20000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env["PATH"], DATABASE_PATH: dbPath, PORT: String(port), DUBAN_LOCAL: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start")), 150_000);
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("listening on")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}

describe("SIGKILL under load", () => {
  it("loses no acknowledged report and stores none twice", async () => {
    let server = await startServer();
    const probe = new BetterSqlite3(dbPath, { readonly: true });
    const unit = probe.prepare("SELECT id, jurisdiction, name FROM units WHERE name = '区卫健委'").get() as { id: number; jurisdiction: string; name: string };
    const indicator = probe
      .prepare("SELECT i.id FROM indicators i JOIN task_units tu ON tu.task_id = i.task_id WHERE tu.unit_id = ? AND i.unit_of_measure = '%' LIMIT 1")
      .get(unit.id) as { id: number };
    probe.close();
    const openId = await demoOpenIdForUnit(unit.jurisdiction, unit.name);

    const total = 400;
    const events = Array.from({ length: total }, (_, k) =>
      cardEvent({
        openId,
        eventId: `fault_${k}`,
        value: { action: "submit_report", unit_id: unit.id, issued_at: new Date().toISOString(), nonce: `nonce_${k}` },
        formValue: { indicator: String(indicator.id), value: String(50 + (k % 50)), period: "2026Q4" },
      }),
    );
    const acked = new Set<number>();
    let phase: "load" | "retry" = "load";
    const send = async (k: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/webhook/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events[k]) });
      const body = (await res.json()) as { toast?: { content: string } };
      if (phase === "load" && res.ok && body.toast?.content === "已记录") acked.add(k);
      if (phase === "retry") expect(res.status).toBe(200);
    };
    let killedAt = -1;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          const k = next++;
          if (acked.size >= 120 && killedAt < 0) {
            killedAt = k;
            server.kill("SIGKILL");
          }
          await send(k).catch(() => {});
        }
      }),
    );
    expect(killedAt).toBeGreaterThan(0);
    if (server.exitCode === null && server.signalCode === null) await new Promise((r) => server.once("exit", r));

    // Lark retries what it did not see answered: after the restart, every event is delivered again.
    server = await startServer();
    phase = "retry";
    for (let k = 0; k < total; k++) await send(k);
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));

    const db = new BetterSqlite3(dbPath, { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const rows = db.prepare("SELECT request_key, COUNT(*) AS n FROM reports GROUP BY request_key").all() as { request_key: string; n: number }[];
    db.close();
    const stored = new Map(rows.map((r) => [r.request_key, r.n]));
    for (const k of acked) expect(stored.get(`form:nonce_${k}:${indicator.id}:2026Q4:${50 + (k % 50)}`)).toBe(1);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    expect(stored.size).toBe(total);
    console.log(`fault test: ${total} reports submitted, SIGKILL after ${acked.size} acknowledgements (request ${killedAt}), ${stored.size} stored after retries, 0 lost, 0 twice`);
  }, 300_000);
});
