/**
 * Commits per event, with SQLite synchronous=FULL (the default): closed-loop `/我的任务` events and card report
 * callbacks, each event's work in one transaction (the default) against the old way (inbox row, work and done mark
 * committed separately; EVENT_TRANSACTIONS=0). Prints events/s and fsync calls per event (counted by strace when it
 * is installed) for both, and the ratios. One run; the machine's load average is printed with it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRuntime } from "../src/node/runtime.js";
import { buildCityStore, myTasksEvent, reportEvent } from "./city-store.js";

const N = Number(process.env["EVENTS"] ?? 300);
const CONCURRENCY = 8;

if (process.argv[2] === "--child") {
  // One mode, one path: prints "<events> <ms>" for the parent.
  const [, , , path, transactions] = process.argv;
  const rt = await startRuntime({
    env: { DUBAN_LOCAL: "1", SQLITE_SYNCHRONOUS: "FULL" },
    databasePath: path!,
    port: 0,
    seedsDir: null,
    log: { info() {}, warn() {}, error() {} },
    eventTransactions: transactions === "1",
  });
  const results: string[] = [];
  for (const [name, make] of [["message", (k: number) => myTasksEvent(k, `m${transactions}`)], ["card", (k: number) => reportEvent(k, `c${transactions}`)]] as const) {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) {
          const k = next++;
          const res = await fetch(`${rt.url}/webhook/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(make(k)) });
          await res.arrayBuffer();
        }
      }),
    );
    await rt.idle();
    results.push(`${name} ${N} ${(performance.now() - t0).toFixed(1)}`);
  }
  await rt.close();
  console.log(results.join("\n"));
  process.exit(0);
}

const strace = spawnSync("strace", ["-V"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "duban-commits-"));
const self = fileURLToPath(import.meta.url);
const run = (transactions: boolean) => {
  const path = join(dir, `city-${transactions ? 1 : 0}.sqlite`);
  buildCityStore(path);
  const node = [process.execPath, "--import", "tsx", self, "--child", path, transactions ? "1" : "0"];
  const out = join(dir, `strace-${transactions ? 1 : 0}.txt`);
  // -f: better-sqlite3 syncs from the main thread, but follow threads anyway; --seccomp-bpf: untraced calls stay free.
  const stdout = strace
    ? execFileSync("strace", ["-f", "--seccomp-bpf", "-c", "-e", "trace=fsync,fdatasync", "-o", out, ...node], { encoding: "utf8" })
    : execFileSync(node[0]!, node.slice(1), { encoding: "utf8" });
  const syncs = strace ? readFileSync(out, "utf8").split("\n").filter((l) => /\b(fsync|fdatasync)\s*$/.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/)[3]), 0) : NaN;
  const byPath = Object.fromEntries(stdout.trim().split("\n").map((l) => { const [name, n, ms] = l.split(" "); return [name!, { n: Number(n), ms: Number(ms) }]; }));
  return { byPath, syncs };
};
const load = loadavg()[0]!.toFixed(1);
const before = run(false);
const after = run(true);
rmSync(dir, { recursive: true, force: true });
console.log(`commits per event, SQLite synchronous=FULL, city store, ${N} events per path, ${CONCURRENCY} in flight (load average ${load} → ${loadavg()[0]!.toFixed(1)})`);
for (const p of ["message", "card"] as const) {
  const b = before.byPath[p]!, a = after.byPath[p]!;
  const rate = (x: { n: number; ms: number }) => (x.n * 1000) / x.ms;
  console.log(`  ${p === "message" ? "/我的任务 events" : "card report callbacks"}: separate commits ${rate(b).toFixed(0)}/s, one transaction ${rate(a).toFixed(0)}/s (${(rate(a) / rate(b)).toFixed(2)}×)`);
}
if (strace) {
  const per = (x: typeof before) => x.syncs / (2 * N);
  console.log(`  fsync/fdatasync calls per event (both paths, start-up included): separate ${per(before).toFixed(2)}, one transaction ${per(after).toFixed(2)} (${(per(after) / per(before)).toFixed(2)}×)`);
} else console.log("  (strace not installed: fsyncs not counted)");
