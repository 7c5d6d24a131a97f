/**
 * Several duban instances on one PostgreSQL: 1, 2 and 4 instances (separate processes, loopback ports) share one
 * database holding the city-sized store, and signed `/我的任务` message events are sent to them in turn from a closed
 * loop of CONNECTIONS connections, as a load balancer would spread them. For each count: accepted events per second
 * (the command run to completion, drain after the run included), the 503s (past the wait budget, Lark resends them),
 * and p50/p99 of the webhook answer. Then one instance on SQLite from the same run, and ratios against one
 * PostgreSQL instance. The PostgreSQL server is a fresh cluster from the machine's binaries (the tests' helper);
 * replies go to a stand-in of the open platform. One run; on a machine with few cores the instances, PostgreSQL,
 * the stand-in and this load generator share them, so expect little scaling.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { copySqliteToPostgres } from "../src/store/copy-to-postgres.js";
import { larkEnv, messageEvent, signedRequest } from "../test/support/events.js";
import { startOpenPlatform } from "../test/support/open-platform.js";
import { startPostgres } from "../test/support/postgres.js";
import { buildCityStore, CITY } from "./city-store.js";

const SECONDS = Number(process.env["SECONDS"] ?? 5);
const CONNECTIONS = Number(process.env["CONNECTIONS"] ?? 20);
const COUNTS = (process.env["COUNTS"] ?? "1,2,4").split(",").map(Number);
const EVENTS = Number(process.env["EVENTS"] ?? 20_000);

const dir = mkdtempSync(join(tmpdir(), "duban-instances-"));
const cityPath = join(dir, "city.sqlite");
buildCityStore(cityPath);
const server = await startPostgres();
const lark = await startOpenPlatform();
const children: ChildProcess[] = [];

/** One database per run, cloned from the migrated city store (CREATE DATABASE … TEMPLATE copies files, no replay). */
const templateUrl = await server.createDatabase("city");
await copySqliteToPostgres(cityPath, templateUrl);
let runNo = 0;
async function freshPostgres(): Promise<string> {
  const name = `run_${++runNo}`;
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query(`CREATE DATABASE ${name} TEMPLATE city`);
  await c.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}

// Signed like Lark (AES body, X-Lark-Signature) before the runs, so the load generator only sends. Each run has its
// own database, so the same events serve every run; member of unit k asks in their own chat.
const events = await Promise.all(
  Array.from({ length: EVENTS }, (_, k) => {
    const u = (k % CITY.UNITS) + 1;
    return signedRequest(messageEvent({ text: "/我的任务", openId: `ou_u${u}`, chatId: `oc_${u}`, eventId: `ev_inst_${k}`, messageId: `om_inst_${k}` }));
  }),
);

// A few events per instance before each measured run (their own ids), so every instance has compiled its code paths
// and filled its pool: an instance's first commands are several times slower than the rest.
const WARM = 20;
const warmEvents = await Promise.all(
  Array.from({ length: 4 * WARM }, (_, k) => signedRequest(messageEvent({ text: "/我的任务", openId: `ou_u${(k % CITY.UNITS) + 1}`, chatId: `oc_${(k % CITY.UNITS) + 1}`, eventId: `ev_warm_${k}`, messageId: `om_warm_${k}` }))),
);

async function startInstance(store: { DATABASE_URL: string } | { DATABASE_PATH: string }): Promise<{ url: string; child: ChildProcess }> {
  const env: Record<string, string | undefined> = { ...process.env, ...larkEnv(lark.url), ...store };
  if (!("DATABASE_URL" in store)) delete env["DATABASE_URL"];
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/instance.ts"], { env, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`instance exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

async function stopInstance(child: ChildProcess) {
  const exited = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
  child.kill("SIGTERM");
  await exited;
}

function post(url: URL, agent: Agent, ev: (typeof events)[number]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { ...ev.headers, "content-length": Buffer.byteLength(ev.body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(ev.body);
  });
}

interface Result { load: number; accepted: number; shed: number; other: number; sent: number; perSecond: number; p50: number; p99: number; drainMs: number }

/** Closed loop: connection c sends to instance c mod n; each answer is followed by the next event at once. */
async function load(urls: string[], countDone: () => Promise<number>): Promise<Result> {
  const targets = urls.map((u) => ({ url: new URL(`${u}/webhook/event`), agent: new Agent({ keepAlive: true, maxSockets: CONNECTIONS }) }));
  let warmed = 0;
  await Promise.all(targets.map(async (t, i) => {
    for (let k = 0; k < WARM; k++) if ((await post(t.url, t.agent, warmEvents[i * WARM + k]!)) === 200) warmed++;
  }));
  const settle = async () => { for (const deadline = Date.now() + 60_000; (await countDone()) < warmed && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50)); };
  await settle();
  const latencies: number[] = [];
  let next = 0, accepted = 0, shed = 0, other = 0;
  const loadAtStart = loadavg()[0]!;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      const t = targets[c % targets.length]!;
      // Every event is new to the run's database: once the signed ones run out, the run ends early (said below).
      while (performance.now() < end && next < events.length) {
        const ev = events[next++]!;
        const s = performance.now();
        const status = await post(t.url, t.agent, ev);
        latencies.push(performance.now() - s);
        if (status === 200) accepted++;
        else if (status === 503) shed++;
        else other++;
      }
    }),
  );
  const sendEnd = performance.now();
  // The command runs after the answer: the run ends when every accepted event is marked done in the shared inbox.
  for (const deadline = Date.now() + 300_000; (await countDone()) < warmed + accepted && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  const done = performance.now();
  targets.forEach((t) => t.agent.destroy());
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { load: loadAtStart, accepted, shed, other, sent: latencies.length, perSecond: accepted / ((done - t0) / 1000), p50: pct(50), p99: pct(99), drainMs: done - sendEnd };
}

const doneEvents = "SELECT COUNT(*) AS n FROM processed_events WHERE key LIKE 'event:%' AND status <> 'received'";

async function runPostgres(n: number): Promise<Result> {
  const url = await freshPostgres();
  const instances = [];
  for (let i = 0; i < n; i++) instances.push(await startInstance({ DATABASE_URL: url }));
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await load(instances.map((i) => i.url), async () => Number((await c.query<{ n: string }>(doneEvents)).rows[0]!.n));
  } finally {
    await c.end();
    for (const i of instances) await stopInstance(i.child);
  }
}

async function runSqlite(): Promise<Result> {
  const path = join(dir, `sqlite_${++runNo}.sqlite`);
  copyFileSync(cityPath, path);
  const instance = await startInstance({ DATABASE_PATH: path });
  const reader = new BetterSqlite3(path, { readonly: true });
  try {
    return await load([instance.url], async () => Number((reader.prepare(doneEvents).get() as { n: number }).n));
  } finally {
    reader.close();
    await stopInstance(instance.child);
  }
}

const results: { name: string; r: Result }[] = [];
try {
  for (const n of COUNTS) results.push({ name: `PostgreSQL, ${n} instance${n > 1 ? "s" : ""}`, r: await runPostgres(n) });
  results.push({ name: "SQLite, 1 instance", r: await runSqlite() });
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await lark.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

const base = results.find((x) => x.name === "PostgreSQL, 1 instance")?.r ?? results[0]!.r;
console.log(`instances bench: signed /我的任务 events, ${CONNECTIONS} connections spread over the instances, ${SECONDS}s each, loopback, one run`);
console.log(`  store: ${CITY.PLANS} plans, ${CITY.TASKS} measures, ${CITY.UNITS} units, ${CITY.INDICATORS} indicators, ${CITY.REPORTS} reports; ${cpus().length} cores; load = 1-minute load average as each run started`);
for (const { name, r } of results) {
  console.log(
    `  ${name.padEnd(26)} ${r.perSecond.toFixed(0).padStart(5)} events/s done  ratio ${(r.perSecond / base.perSecond).toFixed(2)}` +
      `  answer p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms  accepted ${r.accepted} of ${r.sent}, 503 ${r.shed}${r.other ? `, other ${r.other}` : ""}, drain ${r.drainMs.toFixed(0)} ms, load ${r.load.toFixed(1)}`,
  );
}
if (results.some((x) => x.r.sent >= EVENTS)) console.log(`  note: a run used all ${EVENTS} signed events before its time was up; raise EVENTS`);
