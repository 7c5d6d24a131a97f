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
 *
 * Before refusing, an event may wait for room (`admit`, up to `holdMs` after it arrived): a refused event's answer
 * comes with Lark's first retry, 15 s later, while one held for a moment is answered in seconds. Held events are let
 * in one per finished job, in arrival order, and new events queue behind them. Holding also stops a sender that
 * re-sends at once from spinning: every refusal costs the reading, verifying and parsing of its request, work taken
 * from the jobs that are running.
 */
export interface WorkQueueOptions {
  concurrency?: number;
  /** Jobs that may wait at most, whatever their estimated cost (a guard while no cost has been measured yet). */
  capacity?: number;
  /** A new job whose estimated wait before starting exceeds this is refused (ms). */
  waitBudgetMs?: number;
  /** How long after its arrival an event may wait for room before it is refused (ms); 0 refuses at once. */
  holdMs?: number;
  /** Events that may wait for room at once; one more is refused on arrival. */
  holdCapacity?: number;
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
  /**
   * Like `overloaded`, but an event that would be refused now waits for room first, until `holdMs` after it arrived
   * (`alreadyWaitedMs` ago). Null (synchronously, when there is room and nobody is waiting) once a job may be queued.
   */
  admit(alreadyWaitedMs?: number): Overload | null | Promise<Overload | null>;
  /** Events waiting for room. */
  held(): number;
  /** Estimated time before a job queued now would start (ms). */
  estimatedWaitMs(): number;
  size(): number;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

export const DEFAULT_WAIT_BUDGET_MS = 10_000;
/** A third of the 3 s Lark waits for an event's answer: the rest is for reading it and a slow network. */
export const DEFAULT_HOLD_MS = 1_000;

export function createWorkQueue(o: WorkQueueOptions = {}): WorkQueue {
  const concurrency = Math.max(1, o.concurrency ?? 4);
  const capacity = o.capacity ?? 2_000;
  const waitBudgetMs = o.waitBudgetMs ?? DEFAULT_WAIT_BUDGET_MS;
  const holdMs = Math.max(0, o.holdMs ?? DEFAULT_HOLD_MS);
  const holdCapacity = Math.max(0, o.holdCapacity ?? 1_000);
  const now = o.now ?? (() => performance.now());
  type Held = { arrivedAt: number; resolve: (over: Overload | null) => void; timer: ReturnType<typeof setTimeout> };
  const holding: Held[] = [];
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
            letOneIn();
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
  const refusal = (alreadyWaitedMs: number): Overload => {
    const wait = Math.max(0, alreadyWaitedMs) + estimatedWaitMs();
    return { estimatedWaitMs: wait, retryAfterSeconds: Math.max(1, Math.ceil((wait - waitBudgetMs) / 1000)) };
  };
  const overloaded = (alreadyWaitedMs: number): Overload | null =>
    jobs.length < capacity && Math.max(0, alreadyWaitedMs) + estimatedWaitMs() <= waitBudgetMs ? null : refusal(alreadyWaitedMs);
  // One finished job makes room for one job: the first held event goes in if it now fits. One at a time, because an
  // event let in is queued only after its inbox row is written, and until then the queue looks as full as before.
  const letOneIn = () => {
    const first = holding[0];
    if (!first || overloaded(now() - first.arrivedAt)) return;
    holding.shift();
    clearTimeout(first.timer);
    first.resolve(null);
  };
  const admit = (alreadyWaitedMs = 0): Overload | null | Promise<Overload | null> => {
    // Nobody held and room: in at once. With events held, a new one queues behind them even if it would fit.
    if (holding.length === 0 && !overloaded(alreadyWaitedMs)) return null;
    const left = holdMs - Math.max(0, alreadyWaitedMs);
    // Holding is useless once the time is up, or when no job is left to finish and make room.
    if (left <= 0 || holding.length >= holdCapacity || (running === 0 && jobs.length === 0)) return refusal(alreadyWaitedMs);
    const arrivedAt = now() - Math.max(0, alreadyWaitedMs);
    return new Promise((resolve) => {
      const h: Held = {
        arrivedAt,
        resolve,
        timer: setTimeout(() => {
          holding.splice(holding.indexOf(h), 1);
          resolve(overloaded(now() - arrivedAt));
        }, left),
      };
      holding.push(h);
    });
  };
  return {
    push(work, kind = "event") {
      jobs.push({ work, kind });
      bump(queuedOf, kind, 1);
      startNext();
    },
    overloaded: (alreadyWaitedMs = 0) => overloaded(alreadyWaitedMs),
    admit,
    held: () => holding.length,
    estimatedWaitMs,
    size: () => jobs.length + running,
    idle: () => (running === 0 && jobs.length === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
  };
}
