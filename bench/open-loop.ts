/**
 * Open-loop acks: requests are sent on a fixed schedule whatever the server does (as Lark does), so a slow server
 * shows up as latency instead of as a politely lower offered rate. For /我的任务 events and card report callbacks
 * at 100, 500 and 1,000 events/s offered (after 2 s at 250/s, not measured), prints p50/p99/max of the ack (from the
 * scheduled send), the share past Lark's 3 s deadline, and how many were shed with 503 (Lark retries those later).
 * Then the delay of a reply queued behind 1,000 digest rows. One run on the city-sized store (local mode, SQLite synchronous=FULL).
 * For /我的任务 also the reply: from the scheduled send to the end of the command's run (its reply is in the outbox),
 * for the events that were accepted. MESSAGE_COMPARE=1 runs /我的任务 first without the wait budget (every event
 * accepted until the queue holds 2,000), then with it (WORK_WAIT_BUDGET_SECONDS, 10 s by default).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { noticeCard } from "../cards/notice.js";
import { fixedClock } from "../src/clock.js";
import { OutboxMessenger } from "../src/lark/outbox.js";
import { createOutboxWorker } from "../src/lark/outbox-worker.js";
import { startRuntime, type Runtime } from "../src/node/runtime.js";
import { openSqlite } from "../src/store/sqlite.js";
import { CARD_BUSY, CARD_STILL_WORKING } from "../src/events/dispatch.js";
import { buildCityStore, myTasksEvent, reportEvent } from "./city-store.js";
import { isMain, pct } from "./main.js";

export interface OpenLoopOptions {
  seconds?: number;
  rates?: number[];
  /** "message" (/我的任务 events) and/or "card" (card report callbacks). */
  paths?: ("message" | "card")[];
  /** Card callbacks also without the admission gate (every tap let in at once), as before it existed. */
  cardCompare?: boolean;
  /** /我的任务 first without the wait budget (every event accepted until the queue holds 2,000), then with it. */
  messageCompare?: boolean;
  /** Offered before each path's measured rates, not measured (2 s at 250/s by default; 0 s: none). */
  warmUp?: { seconds: number; rate: number };
  /** Each line as it is measured (the CLI prints them; bench/issue17.ts keeps quiet). */
  print?: (line: string) => void;
}

/** One offered rate on one path. Latencies in ms from the scheduled send; replies only for /我的任务. */
export interface RateResult {
  path: "message" | "card";
  variant: "default" | "no-admission" | "no-budget";
  rate: number;
  offered: number;
  answered: number;
  p50: number;
  p99: number;
  max: number;
  over3sPct: number;
  shed503: number;
  errors: number;
  errorCodes: Record<number, number>;
  stillWorking: number;
  busyRetry: number;
  replies: { count: number; p50: number; p99: number; max: number; over10sPct: number; unanswered: number } | null;
}

export function formatRate(r: RateResult): string {
  const rp = r.replies;
  const replyLine = rp
    ? `; replies to the ${rp.count} accepted: p50 ${rp.p50.toFixed(0)} ms, p99 ${rp.p99.toFixed(0)} ms, max ${rp.max.toFixed(0)} ms, over 10 s ${rp.over10sPct.toFixed(1)}%${rp.unanswered ? `, UNANSWERED ${rp.unanswered}` : ""}`
    : "";
  return `${String(r.rate).padStart(5)}/s offered: p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms, over 3 s ${r.over3sPct.toFixed(1)}%, shed 503 ${r.shed503}, errors ${r.errors}${r.errors ? ` (${Object.entries(r.errorCodes).map(([k, v]) => `${k === "0" ? "no answer" : `HTTP ${k}`}: ${v}`).join(", ")})` : ""}` +
    (r.stillWorking || r.busyRetry ? `, toasts: still working ${r.stillWorking}, busy-retry ${r.busyRetry}` : "") +
    replyLine;
}

/** What a card callback answered: its result (a card or a result toast), "still working", or "busy, tap again". */
function cardAnswer(text: string): "result" | "late" | "busy" {
  try {
    const r = JSON.parse(text) as { toast?: { content?: string } };
    if (r.toast?.content === CARD_STILL_WORKING) return "late";
    if (r.toast?.content === CARD_BUSY) return "busy";
  } catch {
    // not JSON: counted as a result; the status code tells errors apart
  }
  return "result";
}

/** Open-loop acks on a fresh city store: every path and rate asked for, in one run. */
export async function runOpenLoop(o: OpenLoopOptions = {}): Promise<RateResult[]> {
  const SECONDS = o.seconds ?? 4;
  const RATES = o.rates ?? [100, 500, 1000];
  const PATHS = o.paths ?? ["message", "card"];
  const print = o.print ?? (() => {});
  const WARM_UP = o.warmUp ?? { seconds: 2, rate: 250 };
  const dir = mkdtempSync(join(tmpdir(), "duban-openloop-"));
  const path = join(dir, "city.sqlite");
  buildCityStore(path);
  // Read workers as configured by default (one on 2 cores): the bench waits until they have started, so their
  // start-up is not counted against the first rate.
  const start = async (x: { cardConcurrency?: number; cardCapacity?: number; workWaitBudgetMs?: number } = {}) => {
    const r = await startRuntime({ env: { DUBAN_LOCAL: "1", SQLITE_SYNCHRONOUS: "FULL" }, databasePath: path, port: 0, seedsDir: null, log: { info() {}, warn() {}, error() {} }, ...x });
    await r.readPool?.ready();
    return r;
  };
  /**
   * When each message's reply was queued (its outbox row written, with the done mark), by message id, on this
   * process's performance clock: the command may have been built on a read worker, so it is read from the store.
   */
  const repliesQueuedAt = async () => {
    const rows = await rt.store.db.selectFrom("outbox").select(["target", "created_at"]).where("kind", "=", "reply").execute();
    return new Map(rows.map((r) => [r.target, Date.parse(r.created_at) - performance.timeOrigin]));
  };
  let rt: Runtime = await start();
  const agent = new Agent({ keepAlive: true, maxSockets: 2048 });

  function post(body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve) => {
      const req = request(`${rt.url}/webhook/event`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", () => resolve({ status: 0, text: "" }));
      req.end(body);
    });
  }

  let seq = 0;
  async function openLoop(pathName: "message" | "card", variant: RateResult["variant"], rate: number, make: (k: number) => unknown, seconds = SECONDS): Promise<RateResult> {
    const total = rate * seconds;
    const lat: number[] = [];
    let shed = 0, failed = 0, late = 0, busy = 0;
    const errorCodes: Record<number, number> = {};
    const start = performance.now();
    const inflight: Promise<void>[] = [];
    // Accepted messages: when they were due, to time their replies once everything has run.
    const acceptedDue = new Map<string, number>();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const event = make(++seq) as { event: { message?: { message_id: string } } };
      const body = JSON.stringify(event);
      inflight.push(
        post(body).then(({ status, text }) => {
          const ms = performance.now() - due;
          if (status === 503) shed++;
          else if (status !== 200) (failed++, (errorCodes[status] = (errorCodes[status] ?? 0) + 1));
          else {
            if (event.event.message) acceptedDue.set(event.event.message.message_id, due);
            lat.push(ms);
            const a = cardAnswer(text);
            if (a === "late") late++;
            if (a === "busy") busy++;
          }
        }),
      );
    }
    await Promise.all(inflight);
    await rt.idle();
    lat.sort((a, b) => a - b);
    const over3 = lat.filter((x) => x > 3000).length;
    const replies: number[] = [];
    let unanswered = 0;
    const answeredAt = acceptedDue.size ? await repliesQueuedAt() : new Map<string, number>();
    for (const [id, due] of acceptedDue) {
      const at = answeredAt.get(id);
      if (at === undefined) unanswered++;
      else replies.push(at - due);
    }
    replies.sort((a, b) => a - b);
    return {
      path: pathName,
      variant,
      rate,
      offered: total,
      answered: lat.length,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      max: lat.at(-1) ?? 0,
      over3sPct: (100 * over3) / Math.max(1, lat.length),
      shed503: shed,
      errors: failed,
      errorCodes,
      stillWorking: late,
      busyRetry: busy,
      replies: acceptedDue.size
        ? { count: replies.length, p50: pct(replies, 50), p99: pct(replies, 99), max: replies.at(-1) ?? 0, over10sPct: (100 * replies.filter((x) => x > 10_000).length) / Math.max(1, replies.length), unanswered }
        : null,
    };
  }

  const results: RateResult[] = [];
  const measure = async (pathName: "message" | "card", variant: RateResult["variant"], make: (k: number) => unknown) => {
    // Not measured: the path's code is compiled and the heap grown first, as in a server that has been running (the
    // first rate measured cold read 29–41 ms at p99 where the same rate again read 12–24 ms, 3 runs).
    if (WARM_UP.seconds > 0) await openLoop(pathName, variant, WARM_UP.rate, (k) => make(k + 3_000_000), WARM_UP.seconds);
    for (const rate of RATES) {
      const r = await openLoop(pathName, variant, rate, make);
      results.push(r);
      print(`    ${formatRate(r)}`);
    }
  };
  for (const [pathName, name, make] of [["message", "/我的任务 events", (k: number) => myTasksEvent(k, "ol")], ["card", "card report callbacks", (k: number) => reportEvent(k, "oc")]] as const) {
    if (!PATHS.includes(pathName)) continue;
    if (pathName === "card" && o.cardCompare) {
      await rt.close();
      rt = await start({ cardConcurrency: Number.MAX_SAFE_INTEGER, cardCapacity: Number.MAX_SAFE_INTEGER });
      print(`  ${name}, without admission (every tap handled at once)`);
      await measure(pathName, "no-admission", (k) => make(k + 1_000_000));
      await rt.close();
      rt = await start();
    }
    if (pathName === "message" && o.messageCompare) {
      await rt.close();
      rt = await start({ workWaitBudgetMs: Number.POSITIVE_INFINITY });
      print(`  ${name}, without the wait budget (accepted until 2,000 are queued)`);
      await measure(pathName, "no-budget", (k) => make(k + 2_000_000));
      await rt.close();
      rt = await start();
    }
    print(`  ${name}${pathName === "card" ? ", with admission (8 at once, the rest wait or are told to tap again)" : `, with the wait budget (${rt.config.WORK_WAIT_BUDGET_SECONDS} s)`}`);
    await measure(pathName, "default", make);
  }
  await rt.close();
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
  return results;
}

/**
 * Reply delivery behind bulk: 1,000 digest rows are queued, then 20 replies; the worker paces under Lark's limits on
 * a virtual clock, so the delay is what the rate limits impose, not this machine's speed. Delays in ms.
 */
export async function replyDelayBehindBulk(): Promise<{ p50: number; p99: number; max: number }> {
  const store = openSqlite({ path: ":memory:" });
  const clock = fixedClock("2026-11-30T01:00:00Z");
  const messenger = new OutboxMessenger(store.db, clock);
  for (let i = 0; i < 1000; i++) await messenger.sendToChat(`oc_${i}`, noticeCard("周报", String(i)), { dedupeKey: `digest:${i}`, bulk: true });
  const asked = clock.now().getTime();
  for (let i = 0; i < 20; i++) await messenger.reply(`om_${i}`, noticeCard("我的任务", "…"), { chatId: `oc_user${i}` });
  const delays: number[] = [];
  const worker = createOutboxWorker({
    db: store.db,
    clock,
    sleep: async (ms) => clock.advance(ms),
    log: { info() {}, warn() {}, error() {} },
    send: async (row) => {
      if (row.kind === "reply") delays.push(clock.now().getTime() - asked);
      return null;
    },
  });
  await worker.drainOnce();
  delays.sort((a, b) => a - b);
  await store.close();
  return { p50: pct(delays, 50), p99: pct(delays, 99), max: delays.at(-1) ?? 0 };
}

if (isMain(import.meta.url)) {
  const env = process.env;
  console.log(`open-loop acks (load average ${loadavg()[0]!.toFixed(1)} at start), ${Number(env["SECONDS"] ?? 4)} s per rate, city store (20 plans, 2,000 measures, 200 units, 5,000 indicators, 100,000 reports), synchronous=FULL`);
  await runOpenLoop({
    seconds: Number(env["SECONDS"] ?? 4),
    rates: (env["RATES"] ?? "100,500,1000").split(",").map(Number),
    /** PATHS=card or PATHS=message runs one path only (the machine is shared: keep runs short). */
    paths: (env["PATHS"] ?? "message,card").split(",") as ("message" | "card")[],
    cardCompare: env["CARD_COMPARE"] === "1",
    messageCompare: env["MESSAGE_COMPARE"] === "1",
    print: (line) => console.log(line),
  });
  if (env["REPLIES"] !== "0") {
    const d = await replyDelayBehindBulk();
    console.log(`reply delivery with 1,000 digest rows queued ahead (20 replies, rate-limit time): p50 ${d.p50} ms, p99 ${d.p99} ms`);
  }
}
