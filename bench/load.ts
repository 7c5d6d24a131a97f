/**
 * Load on a city-sized store: 20 plans, 2,000 measures, 200 units, 5,000 indicators, 100,000 reported values.
 * autocannon on loopback, one run: /我的任务 message events and card report callbacks through /webhook/event,
 * each against a bare Hono route measured in the same run. Local mode (unsigned loopback events, outbox only).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import autocannon from "autocannon";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { startRuntime } from "../src/node/runtime.js";
import { buildCityStore, myTasksEvent, reportEvent } from "./city-store.js";
import { isMain } from "./main.js";

/** Seconds of load before each path's measured run. */
export const WARM_UP_SECONDS = 2;

/** One autocannon run: answers per second (any status), latency, and non-2xx answers. */
export interface Closed {
  rps: number;
  total: number;
  non2xx: number;
  p50: number;
  p99: number;
}

/** One round: the bare route, /我的任务, the bare route again, card reports; each path's ratio is to the faster bare. */
export interface ClosedRound {
  bare: Closed;
  myTasks: Closed & { accepted: number; drainMs: number; acceptedPerS: number; ratio: number };
  bareAgain: Closed;
  cards: Closed & { ratio: number };
}

export interface ClosedLoopResult {
  seconds: number;
  connections: number;
  size: ReturnType<typeof buildCityStore>;
  rounds: ClosedRound[];
  /** The round whose ratio is the median, per path (the two may come from different rounds). */
  median: { myTasks: ClosedRound; cards: ClosedRound };
  /** fsyncs and commits during the measured runs of both paths (group commit under synchronous=FULL). */
  syncs: number;
  commits: number;
}

/**
 * Closed loop (each connection sends its next request when the last is answered) against a bare Hono route in the
 * same run. A round measures the bare route, /我的任务, the bare route again and card reports, and each path's ratio is
 * to the faster of the round's two bare runs: the machine's speed moves from one second to the next (the bare route
 * gave 7,134 and then 11,115 req/s a minute apart), and a ratio to a bare run slowed by something else would flatter
 * the path. `rounds` rounds, the median ratio per path is the figure, and every round is kept to be printed.
 * For /我的任务 the throughput is what was accepted (200) and answered (its card in the outbox) per second over the run
 * and the drain after it.
 */
export async function runClosedLoop(o: { seconds?: number; connections?: number; rounds?: number } = {}): Promise<ClosedLoopResult> {
  const seconds = o.seconds ?? 5;
  const connections = o.connections ?? 10;
  const roundCount = Math.max(1, o.rounds ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "duban-load-"));
  const path = join(dir, "load.sqlite");
  const size = buildCityStore(path);
  const rt = await startRuntime({ env: { DUBAN_LOCAL: "1", SQLITE_SYNCHRONOUS: "FULL" }, databasePath: path, port: 0, seedsDir: null, log: { info() {}, warn() {}, error() {} } });
  // The default read workers (one on 2 cores) start before anything is measured, bare route included.
  await rt.readPool?.ready();
  const bare = new Hono().post("/bare", async (c) => c.json({ ok: (await c.req.text()).length }));
  const bs = serve({ fetch: bare.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((r) => bs.once("listening", r));
  const bareUrl = `http://127.0.0.1:${(bs.address() as AddressInfo).port}/bare`;

  let n = 0;
  const run = async (url: string, body: () => string, duration = seconds): Promise<Closed> => {
    const r = await autocannon({ url, connections, duration, method: "POST", headers: { "content-type": "application/json" }, requests: [{ setupRequest: (req: any) => ({ ...req, body: body() }) }] });
    return { rps: r.requests.average, total: r.requests.total, non2xx: r.non2xx, p50: r.latency.p50, p99: r.latency.p99 };
  };
  const gc = () => rt.store.groupCommit?.stats ?? { syncs: 0, commits: 0 };
  // Each path is measured after a warm-up of its own (WARM_UP_SECONDS, its backlog drained) in the first round:
  // throughput once the code is compiled and the pages are cached, not the first seconds of a cold process (worker
  // threads compile their copy of the code while the first events arrive).
  const warm = async (url: string, body: () => string) => {
    await run(url, body, WARM_UP_SECONDS);
    await rt.idle();
  };
  const tasksBody = (prefix: string) => () => JSON.stringify(myTasksEvent(++n, prefix));
  const cardsBody = (prefix: string) => () => JSON.stringify(reportEvent(++n, prefix));
  await warm(bareUrl, () => "{}");
  await warm(`${rt.url}/webhook/event`, tasksBody("lw"));
  await warm(`${rt.url}/webhook/event`, cardsBody("lw"));
  const counted = { syncs: 0, commits: 0 };
  const count = async <T>(measured: () => Promise<T>): Promise<T> => {
    const before = { ...gc() };
    const r = await measured();
    const after = gc();
    counted.syncs += after.syncs - before.syncs;
    counted.commits += after.commits - before.commits;
    return r;
  };
  const rounds: ClosedRound[] = [];
  for (let i = 0; i < roundCount; i++) {
    const base1 = await run(bareUrl, () => "{}");
    let drainMs = 0;
    const tasks = await count(async () => {
      const r = await run(`${rt.url}/webhook/event`, tasksBody(`lt${i}`));
      const t0 = performance.now();
      await rt.idle();
      drainMs = performance.now() - t0;
      return r;
    });
    const base2 = await run(bareUrl, () => "{}");
    const cards = await count(() => run(`${rt.url}/webhook/event`, cardsBody(`lc${i}`)));
    const fasterBare = Math.max(base1.rps, base2.rps);
    const accepted = tasks.total - tasks.non2xx;
    const acceptedPerS = accepted / (seconds + drainMs / 1000);
    rounds.push({
      bare: base1,
      myTasks: { ...tasks, accepted, drainMs, acceptedPerS, ratio: acceptedPerS / fasterBare },
      bareAgain: base2,
      cards: { ...cards, ratio: cards.rps / fasterBare },
    });
  }
  await rt.close();
  bs.close();
  rmSync(dir, { recursive: true, force: true });
  const medianBy = (ratio: (r: ClosedRound) => number) => [...rounds].sort((a, b) => ratio(a) - ratio(b))[Math.floor((rounds.length - 1) / 2)]!;
  return {
    seconds,
    connections,
    size,
    rounds,
    median: { myTasks: medianBy((r) => r.myTasks.ratio), cards: medianBy((r) => r.cards.ratio) },
    syncs: counted.syncs,
    commits: counted.commits,
  };
}

if (isMain(import.meta.url)) {
  const r = await runClosedLoop({ seconds: Number(process.env["DURATION"] ?? 5), rounds: Number(process.env["ROUNDS"] ?? 3) });
  const line = (name: string, c: Closed, ratio?: number) => `  ${name.padEnd(30)} ${c.rps.toFixed(0).padStart(6)} req/s  p50 ${c.p50} ms  p99 ${c.p99} ms  non-2xx ${c.non2xx}${ratio === undefined ? "" : `  ratio ${ratio.toFixed(3)}`}`;
  const { PLANS, TASKS, UNITS, INDICATORS, REPORTS } = r.size;
  console.log(`load bench: ${PLANS} plans, ${TASKS} measures, ${UNITS} units, ${INDICATORS} indicators, ${REPORTS} reports; ${r.rounds.length} rounds, ${r.seconds}s each run, ${r.connections} connections, synchronous=FULL`);
  r.rounds.forEach((round, i) => {
    console.log(`round ${i + 1}`);
    console.log(line("bare Hono route", round.bare));
    // Answers/s counts 503s too: what was accepted and answered is the throughput.
    console.log(line("/我的任务 events (answer)", round.myTasks));
    console.log(`  …accepted ${round.myTasks.accepted} of ${round.myTasks.total} (the rest 503), backlog drained ${round.myTasks.drainMs.toFixed(0)} ms after the run: ${round.myTasks.acceptedPerS.toFixed(0)} commands answered/s, ratio ${round.myTasks.ratio.toFixed(4)} of the faster bare run`);
    console.log(line("bare Hono route (again)", round.bareAgain));
    console.log(line("card report callbacks", round.cards, round.cards.ratio));
  });
  console.log(`median of ${r.rounds.length} rounds: /我的任务 ${r.median.myTasks.myTasks.ratio.toFixed(4)} of bare, card reports ${r.median.cards.cards.ratio.toFixed(3)} of bare`);
  console.log(`  commits ${r.commits}, fsyncs ${r.syncs} (${(r.commits / Math.max(1, r.syncs)).toFixed(1)} commits per fsync)`);
}
