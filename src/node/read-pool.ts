import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { recordedAnswers, type KeptAnswers, type ReadJob } from "../events/read-elsewhere.js";
import type { Logger } from "../events/types.js";
import type { FromReadWorker, ReadWorkerData, ToReadWorker } from "./read-worker.js";

/**
 * Worker threads that read and build read-only commands' answers (/我的任务, /进度, /指标, /帮助) beside the main
 * thread, on the machine's other cores. The main thread keeps everything that writes or talks to the network: HTTP,
 * signatures, de-duplication, the answers' transaction with the done mark, the outbox. Each worker has its own
 * read-only connection to the SQLite file (WAL: readers and the writer do not wait for each other), so a command's
 * reading and card building, most of its cost, no longer takes turns with the acks on one core.
 *
 * Nothing acknowledged depends on a worker: a job is only ever a question whose answer the main thread writes. When no
 * worker is ready, when the command needs the directory or a write (the worker says so), when a worker dies or takes
 * longer than `timeoutMs`, `run` resolves to null and the main thread runs the command itself, as before. A worker that
 * died or was ended is replaced (sooner after a crash in a job, later when one keeps failing to start).
 */
export interface ReadPoolOptions {
  databasePath: string;
  size: number;
  adminOpenIds: readonly string[];
  loop?: ReadWorkerData["loop"];
  log: Logger;
  /** A job not answered within this (ms) is given up: its worker is ended and replaced, the command runs here. */
  timeoutMs?: number;
  /** Called after a job was posted to a worker (tests end the worker there, as a crash would). */
  onPosted?: (worker: Worker) => void;
  /** Tests: workers that block this long in every job, as a stuck one would. */
  stallMs?: number;
}

export interface ReadPool {
  /** The job's answers from a worker, or null: run it here. */
  run(job: ReadJob): Promise<KeptAnswers | null>;
  /** Resolves once every worker has started. */
  ready(): Promise<void>;
  /** Jobs answered by a worker, handed back (the command needed the main thread), and lost with a worker. */
  readonly stats: { answered: number; handedBack: number; lost: number };
  close(): Promise<void>;
}

/**
 * Workers when READ_WORKERS is not set: the cores beside the main thread's, at most four; none on one core. On two
 * cores one: once a worker ran the jobs waiting for it in one read transaction (src/node/read-worker.ts) and was kept
 * fed (readPoolConcurrency), the /我的任务 closed loop went from a median 526 to 719 accepted/s (4 alternating rounds
 * after a 2 s warm-up, city store). Before that it had not been faster there (412/380 without, 354/390 with one worker), and none started.
 */
export const defaultReadWorkers = (cores = availableParallelism()) => (cores <= 1 ? 0 : Math.min(4, cores - 1));

/**
 * Jobs of the work queue running at once when there are read workers: four for the main thread's own work, and 16
 * more per worker. A job that waits for a worker holds a slot without using the main thread, and a worker answers the
 * jobs waiting for it in one read transaction, rereading the pages the main thread's commits made stale once per batch
 * rather than once per job. /我的任务 closed loop, city store, 2 cores:
 * - 4 per worker: 3.5 jobs a batch, 2.92 ms of CPU and 575 accepted/s; 16: 7.5 jobs, 2.60 ms, 676/s (two runs each);
 *   alternating rounds, 16 per worker did a median 892/s against 729/s.
 * - More per worker reads still faster (64: 33 jobs a batch, 1.97 ms, 910/s), but then acks wait: at 500 events/s
 *   open loop, with 24 per worker or more, up to 14–34 statements queued on SQLite's one connection ahead of an
 *   ack's inbox row (2 at most with 16), and the ack's p99 went from 30–57 ms to 67–191 ms (past the 50 ms goal).
 *   The inbox row now goes ahead of that queue (ConnectionTurns in src/store/group-commit.ts), and still 64 per
 *   worker gave an ack p99 of 76–214 ms against 45–104 ms at 16 (7 and 8 runs taking turns): the main thread pauses
 *   longer with 33 answers arriving at once (event-loop delay max 48–85 ms against 23–48 ms).
 * - 16 against 4 per worker at 500 events/s open loop, 4 alternating rounds on a busy machine: ack p99 41–98 ms against
 *   77–175 ms, replies p50 29–227 ms against 455–938 ms (the worker keeps up).
 */
export const readPoolConcurrency = (workers: number) => 4 + 16 * workers;

export const READ_JOB_TIMEOUT_MS = 10_000;

interface Slot {
  worker: Worker;
  /** Taking jobs: started and not being ended. */
  ready: boolean;
  /** It did start (a worker that never did is replaced after a growing pause). */
  started: boolean;
  /** Jobs posted and not answered: when each was posted, and how to answer it. */
  jobs: Map<number, { postedAt: number; resolve: (a: KeptAnswers | null) => void }>;
}

export function createReadPool(o: ReadPoolOptions): ReadPool {
  const timeoutMs = o.timeoutMs ?? READ_JOB_TIMEOUT_MS;
  const data: ReadWorkerData = { databasePath: o.databasePath, adminOpenIds: [...o.adminOpenIds], ...(o.loop ? { loop: o.loop } : {}), ...(o.stallMs ? { stallMs: o.stallMs } : {}) };
  const slots: (Slot | null)[] = Array.from({ length: Math.max(0, o.size) }, () => null);
  /** Starts of a slot in a row that ended before it was ready (how long to wait before the next). */
  const failedStarts = slots.map(() => 0);
  const respawns = new Set<ReturnType<typeof setTimeout>>();
  const stats = { answered: 0, handedBack: 0, lost: 0 };
  let readyWaiters: (() => void)[] = [];
  let nextId = 0;
  let closing = false;

  const allReady = () => slots.every((s) => s?.ready);
  const settleReady = () => {
    if (!allReady()) return;
    const w = readyWaiters;
    readyWaiters = [];
    for (const r of w) r();
  };

  const spawn = (i: number) => {
    const worker = startWorker(data);
    const slot: Slot = { worker, ready: false, started: false, jobs: new Map() };
    slots[i] = slot;
    // A worker is no reason to keep the process alive: the HTTP server is, and close() ends the workers.
    worker.unref();
    worker.on("message", (m: FromReadWorker) => {
      if ("ready" in m) {
        slot.ready = slot.started = true;
        failedStarts[i] = 0;
        settleReady();
        return;
      }
      const job = slot.jobs.get(m.id);
      if (!job) return;
      slot.jobs.delete(m.id);
      if ("fallback" in m) {
        stats.handedBack++;
        if (m.fallback.startsWith("failed")) o.log.warn("read worker could not run a command; running it here", { reason: m.fallback });
        job.resolve(null);
        return;
      }
      stats.answered++;
      for (const l of m.logs) o.log[l.level](l.msg, l.fields);
      job.resolve(recordedAnswers(m.sends));
    });
    worker.on("error", (err) => o.log.error("read worker failed", { error: String(err) }));
    worker.on("exit", (code) => {
      if (slots[i] === slot) slots[i] = null;
      // Its unanswered jobs run on the main thread: each caller gets null and runs the command itself.
      for (const job of slot.jobs.values()) job.resolve(null);
      stats.lost += slot.jobs.size;
      slot.jobs.clear();
      if (closing) return;
      if (!slot.started) failedStarts[i]!++;
      const delay = slot.started ? 0 : Math.min(30_000, 250 * 2 ** failedStarts[i]!);
      o.log.warn("read worker stopped; replacing it", { code, inMs: delay });
      const t = setTimeout(() => {
        respawns.delete(t);
        if (!closing) spawn(i);
      }, delay);
      t.unref();
      respawns.add(t);
    });
  };
  for (let i = 0; i < slots.length; i++) spawn(i);

  // A job not answered in time: its worker is ended (it may be stuck), which hands its jobs back and replaces it.
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const slot of slots) {
      if (!slot) continue;
      for (const job of slot.jobs.values()) {
        if (now - job.postedAt <= timeoutMs) continue;
        o.log.warn("read worker did not answer in time; ending it, the command runs here", { timeoutMs });
        slot.ready = false;
        void slot.worker.terminate();
        break;
      }
    }
  }, Math.max(10, Math.min(1000, timeoutMs / 4)));
  watchdog.unref();

  return {
    stats,
    run(job) {
      // The ready worker with the fewest jobs waiting; none ready (starting, replaced): here.
      let best: Slot | null = null;
      for (const s of slots) if (s?.ready && (!best || s.jobs.size < best.jobs.size)) best = s;
      if (!best || closing) return Promise.resolve(null);
      const slot = best;
      const id = ++nextId;
      return new Promise<KeptAnswers | null>((resolve) => {
        slot.jobs.set(id, { postedAt: performance.now(), resolve });
        slot.worker.postMessage({ id, job } satisfies ToReadWorker);
        o.onPosted?.(slot.worker);
      });
    },
    ready: () => (allReady() ? Promise.resolve() : new Promise<void>((r) => readyWaiters.push(r))),
    async close() {
      closing = true;
      clearInterval(watchdog);
      for (const t of respawns) clearTimeout(t);
      const running = slots.filter((s): s is Slot => s !== null);
      await Promise.all(
        running.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.worker.once("exit", () => resolve());
              // Asked to finish its jobs and close its connection; ended if it does not within a second.
              s.worker.postMessage({ close: true } satisfies ToReadWorker);
              setTimeout(() => void s.worker.terminate(), 1000).unref();
            }),
        ),
      );
    },
  };
}

/**
 * The compiled worker (dist/, `npm start`) is plain JavaScript. Under tsx (`npm run local`, the tests) the worker is
 * TypeScript, and Node 20 does not apply the parent's loader to a worker's entry, so the worker registers tsx itself
 * before importing it.
 */
function startWorker(data: ReadWorkerData): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./read-worker.js", import.meta.url), { workerData: data });
  const entry = new URL("./read-worker.ts", import.meta.url).href;
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: data, execArgv: [] });
}
