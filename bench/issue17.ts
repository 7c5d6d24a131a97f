/**
 * Every figure issue #17 ("fast under load") asks for, from one run on this machine, each beside its goal:
 * open-loop acks at 100/500/1,000 events/s for /我的任务 and card reports, closed-loop throughput of both against a
 * bare Hono route, /我的任务 per event at 10k/100k/1M reports, the digest at 1×/2×/4× the city store, and reply
 * delivery behind 1,000 queued digest rows. SQLite synchronous=FULL (group commit). It reuses the benches that print
 * each part on its own (open-loop.ts, load.ts, history.ts, digest-scaling.ts); about four minutes.
 * The load generator shares the 2 cores with the server, and the machine with other work: the load average at the
 * start and the end is printed, and a figure is only comparable with one taken at a similar load.
 */
import { cpus, loadavg } from "node:os";
import { runDigestScaling } from "./digest-scaling.js";
import { runHistory } from "./history.js";
import { runClosedLoop, WARM_UP_SECONDS, type ClosedRound } from "./load.js";
import { replyDelayBehindBulk, runOpenLoop, type RateResult } from "./open-loop.js";

const SECONDS = Number(process.env["SECONDS"] ?? 3);
const startedAt = new Date();
const loadStart = loadavg();
const log = (s: string) => process.stderr.write(`${s}\n`);
log(`issue 17 bench: load average ${loadStart.map((x) => x.toFixed(2)).join(" ")} at start${loadStart[0]! > 3 ? " (high: other work is running; figures will be worse than on a quiet machine)" : ""}`);

log("open loop (3 s per rate, after 2 s at 250/s of each path) …");
const open = await runOpenLoop({ seconds: SECONDS, rates: [100, 500, 1000], paths: ["message", "card"] });
log("reply delivery behind 1,000 digest rows …");
const replies = await replyDelayBehindBulk();
log("closed loop (3 rounds, 5 s per run, after a warm-up of each path) …");
const closed = await runClosedLoop({ seconds: 5, rounds: 3 });
log("/我的任务 vs history (10k, 100k, 1M reports) …");
const history = await runHistory([10_000, 100_000, 1_000_000]);
log("digest at 1×, 2×, 4× …");
const digest = await runDigestScaling([1, 2, 4]);
const loadEnd = loadavg();

type Row = [figure: string, measured: string, goal: string, met: boolean | null];
const rows: Row[] = [];
const ms = (x: number) => `${x < 10 ? x.toFixed(1) : x.toFixed(0)} ms`;
const at = (path: "message" | "card", rate: number) => open.find((r) => r.path === path && r.rate === rate)!;
const ackText = (r: RateResult) =>
  `p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)}, over 3 s ${r.over3sPct.toFixed(1)} %; ${r.answered} answered 200, ${r.shed503} shed 503` +
  (r.busyRetry ? `, ${r.busyRetry} told to tap again` : "") + (r.stillWorking ? `, ${r.stillWorking} “still working”` : "") + (r.errors ? `, ${r.errors} errors` : "");
for (const [path, name] of [["message", "/我的任务 ack"], ["card", "card report ack"]] as const) {
  for (const rate of [100, 500, 1000]) {
    const r = at(path, rate);
    const goal = rate === 500 ? "p99 < 50 ms" : rate === 1000 ? "none over 3 s (503 allowed)" : "—";
    const met = rate === 500 ? r.p99 < 50 && r.errors === 0 : rate === 1000 ? r.over3sPct === 0 && r.errors === 0 : null;
    rows.push([`${name}, open loop ${rate.toLocaleString("en")}/s`, ackText(r), goal, met]);
  }
}
const k = (x: number) => x.toLocaleString("en", { maximumFractionDigits: 0 });
const bareOf = (r: ClosedRound) => `bare ${k(Math.max(r.bare.rps, r.bareAgain.rps))}`;
rows.push([
  "bare Hono route, closed loop",
  `${closed.rounds.map((r) => `${k(r.bare.rps)} and ${k(r.bareAgain.rps)}`).join("; ")} req/s in rounds ${closed.rounds.map((_, i) => i + 1).join(", ")}; each round's ratios are to its faster bare run`,
  "—",
  null,
]);
const mt = closed.median.myTasks.myTasks;
rows.push([
  "/我的任务, closed loop",
  `median of ${closed.rounds.length} rounds ${mt.ratio.toFixed(4)} of bare: ${k(mt.acceptedPerS)}/s accepted and answered (${mt.accepted} of ${mt.total}, ${mt.non2xx} shed 503; run + ${(mt.drainMs / 1000).toFixed(1)} s drain); rounds ${closed.rounds.map((r) => `${k(r.myTasks.acceptedPerS)}/s of ${bareOf(r)} = ${r.myTasks.ratio.toFixed(4)}`).join(", ")}`,
  "≥ 0.05 of bare",
  mt.ratio >= 0.05,
]);
const ct = closed.median.cards.cards;
rows.push([
  "card reports, closed loop",
  `median of ${closed.rounds.length} rounds ${ct.ratio.toFixed(3)} of bare: ${k(ct.rps)}/s, p99 ${ct.p99} ms, ${ct.non2xx} non-2xx; rounds ${closed.rounds.map((r) => `${k(r.cards.rps)}/s of ${bareOf(r)} = ${r.cards.ratio.toFixed(3)}`).join(", ")}`,
  "≥ 0.1 of bare",
  ct.ratio >= 0.1,
]);
rows.push(["commits per fsync, closed loop", `${closed.commits} commits, ${closed.syncs} fsyncs (${(closed.commits / Math.max(1, closed.syncs)).toFixed(1)} per fsync)`, "—", null]);
const h0 = history[0]!, hN = history.at(-1)!;
rows.push([
  "/我的任务 per event vs history",
  history.map((h) => `${(h.reports / 1000).toLocaleString("en")}k: ${h.eventMs.toFixed(2)} ms (store ${h.storeMs.toFixed(2)})`).join("; ") + `; 1M/10k ${(hN.eventMs / h0.eventMs).toFixed(2)}×`,
  "1M ≤ 1.5× 10k",
  hN.eventMs <= 1.5 * h0.eventMs,
]);
const doublings = digest.slice(1).map((d, i) => ({ sup: d.supervisor / digest[i]!.supervisor, all: d.perUnit / digest[i]!.perUnit }));
const d4 = digest.at(-1)!;
rows.push([
  "digest build 1×/2×/4× (fastest of 9, scales in turns)",
  `supervisor ${digest.map((d) => ms(d.supervisor)).join(" / ")} (median ${digest.map((d) => ms(d.supervisorMedian)).join(" / ")}); all unit digests ${digest.map((d) => ms(d.perUnit)).join(" / ")} (median ${digest.map((d) => ms(d.perUnitMedian)).join(" / ")}); doublings ${doublings.map((x) => `${x.sup.toFixed(2)}×/${x.all.toFixed(2)}×`).join(", ")}`,
  "each doubling ≤ 2.2×, supervisor ≤ 1 s at 4×",
  doublings.every((x) => x.sup <= 2.2 && x.all <= 2.2) && d4.supervisor <= 1000,
]);
rows.push(["reply behind 1,000 queued digest rows", `p50 ${replies.p50} ms, p99 ${replies.p99} ms of rate-limit time (20 replies)`, "p99 < 2 s", replies.p99 < 2000]);

const cell = (s: string) => s.replace(/\|/g, "\\|");
console.log(`issue 17, one run ${startedAt.toISOString().slice(0, 16).replace("T", " ")}–${new Date().toISOString().slice(11, 16)} UTC on ${cpus().length} cores (${cpus()[0]?.model.trim()}); load average ${loadStart[0]!.toFixed(2)} at start, ${loadEnd[0]!.toFixed(2)} at end; city store ${closed.size.PLANS} plans, ${closed.size.TASKS.toLocaleString("en")} measures, ${closed.size.UNITS} units, ${closed.size.INDICATORS.toLocaleString("en")} indicators, ${closed.size.REPORTS.toLocaleString("en")} reports; SQLite synchronous=FULL (group commit); open loop ${SECONDS} s per rate after 2 s at 250/s of each path, closed loop ${closed.rounds.length} rounds of ${closed.seconds} s runs × ${closed.connections} connections after ${WARM_UP_SECONDS} s of warm-up per path`);
console.log("");
console.log("| figure | measured | goal | met |");
console.log("|---|---|---|---|");
for (const [f, v, g, ok] of rows) console.log(`| ${cell(f)} | ${cell(v)} | ${cell(g)} | ${ok === null ? "" : ok ? "yes" : "**no**"} |`);
const missed = rows.filter((r) => r[3] === false).length;
console.log("");
console.log(`${rows.filter((r) => r[3] !== null).length - missed} of ${rows.filter((r) => r[3] !== null).length} goals met.`);
