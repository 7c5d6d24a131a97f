import { nextTurn } from "../store/turns.js";

/**
 * The work that runs after the webhook has answered. better-sqlite3 is synchronous and Kysely resolves at once,
 * so jobs chained as promises run back to back as microtasks and the HTTP server cannot accept new connections
 * until the whole backlog is done: acks then take seconds and Lark retries. Here every job starts from a macrotask
 * (setImmediate), so accepting and answering interleave with the work; at most `concurrency` jobs run at once, and
 * jobs start (and resume after yielding, src/store/turns.ts) one per turn of the event loop, with the network
 * polled between.
 *
 * Admission: an event acknowledged with 200 is never re-sent by Lark, so the bot owes it an answer however long the
 * queue is. Accepting everything under overload only makes every answer late (at 500 events/s on a busy machine the
 * median reply came after 9 s, and a longer burst would have grown that without bound). So before accepting, the
 * webhook asks how long a new job would wait: the jobs queued ahead times their measured cost (an average per kind
 * of job, so one slow plan import does not make commands look slow), spread over the concurrent slots. Past
 * `waitBudgetMs`, or past `capacity` jobs, the event is refused with 503 and nothing stored; Lark delivers it again
 * (15 s, 5 min, 1 h, 6 h later), when the backlog has drained. Accepted events are answered within about the budget.
 */
export interface WorkQueueOptions {
  concurrency?: number;
  /** Jobs that may wait at most, whatever their estimated cost (a guard while no cost has been measured yet). */
  capacity?: number;
  /** A new job whose estimated wait before starting exceeds this is refused (ms). */
  waitBudgetMs?: number;
  /** Clock for the cost measurements (performance.now() by default; tests pass a virtual one). */
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** Why a new job is refused: what the webhook tells Lark (503 with Retry-After). */
export interface Overload {
  /** Estimated wait of a job queued now (ms). */
  estimatedWaitMs: number;
  /** When asking again is worthwhile: the time for the backlog to shrink back within the budget, at least 1 s. */
  retryAfterSeconds: number;
}

export interface WorkQueue {
  /** `kind` groups jobs of similar cost ("command", "import", …) for the wait estimate. */
  push(work: () => Promise<void>, kind?: string): void;
  /**
   * Null when a job may be queued now; otherwise why not. `alreadyWaitedMs`: how long the event has waited before
   * getting here (its request read, verified and parsed on a busy server), which counts against the budget.
   */
  overloaded(alreadyWaitedMs?: number): Overload | null;
  /** Estimated time before a job queued now would start (ms). */
  estimatedWaitMs(): number;
  size(): number;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

export const DEFAULT_WAIT_BUDGET_MS = 10_000;

export function createWorkQueue(o: WorkQueueOptions = {}): WorkQueue {
  const concurrency = Math.max(1, o.concurrency ?? 4);
  const capacity = o.capacity ?? 2_000;
  const waitBudgetMs = o.waitBudgetMs ?? DEFAULT_WAIT_BUDGET_MS;
  const now = o.now ?? (() => performance.now());
  const jobs: { work: () => Promise<void>; kind: string }[] = [];
  let running = 0;
  let waiters: (() => void)[] = [];
  // Per kind: average wall time from start to finish (exponential, recent jobs weigh most) and how many are queued
  // or running. Wall time, not CPU time: with `concurrency` jobs interleaved each takes about that many times its own
  // cost, which is what divides back out below.
  const costMs = new Map<string, number>();
  const queuedOf = new Map<string, number>();
  const runningOf = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, d: number) => m.set(k, (m.get(k) ?? 0) + d);
  const costOf = (kind: string) => {
    const known = costMs.get(kind);
    if (known !== undefined) return known;
    // A kind not measured yet is taken to cost what the others do on average.
    if (costMs.size === 0) return 0;
    let sum = 0;
    for (const v of costMs.values()) sum += v;
    return sum / costMs.size;
  };

  const settle = () => {
    if (running === 0 && jobs.length === 0) {
      const w = waiters;
      waiters = [];
      for (const r of w) r();
    }
  };
  const startNext = () => {
    while (running < concurrency && jobs.length > 0) {
      const { work, kind } = jobs.shift()!;
      bump(queuedOf, kind, -1);
      bump(runningOf, kind, 1);
      running++;
      void nextTurn().then(() => {
        const startedAt = now();
        Promise.resolve()
          .then(work)
          .catch((err) => o.onError?.(err))
          .finally(() => {
            const took = Math.max(0, now() - startedAt);
            const prev = costMs.get(kind);
            costMs.set(kind, prev === undefined ? took : prev * 0.9 + took * 0.1);
            bump(runningOf, kind, -1);
            running--;
            startNext();
            settle();
          });
      });
    }
  };
  const estimatedWaitMs = () => {
    // A free slot and nobody waiting: the job starts at once.
    if (running < concurrency && jobs.length === 0) return 0;
    let ahead = 0;
    for (const [kind, n] of queuedOf) ahead += n * costOf(kind);
    // Running jobs are on average half done.
    for (const [kind, n] of runningOf) ahead += (n * costOf(kind)) / 2;
    return ahead / concurrency;
  };
  return {
    push(work, kind = "event") {
      jobs.push({ work, kind });
      bump(queuedOf, kind, 1);
      startNext();
    },
    overloaded(alreadyWaitedMs = 0) {
      const wait = Math.max(0, alreadyWaitedMs) + estimatedWaitMs();
      if (jobs.length < capacity && wait <= waitBudgetMs) return null;
      return { estimatedWaitMs: wait, retryAfterSeconds: Math.max(1, Math.ceil((wait - waitBudgetMs) / 1000)) };
    },
    estimatedWaitMs,
    size: () => jobs.length + running,
    idle: () => (running === 0 && jobs.length === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
  };
}
