/**
 * The work that runs after the webhook has answered. better-sqlite3 is synchronous and Kysely resolves at once,
 * so jobs chained as promises run back to back as microtasks and the HTTP server cannot accept new connections
 * until the whole backlog is done: acks then take seconds and Lark retries. Here every job starts from a macrotask
 * (setImmediate), so accepting and answering interleave with the work; at most `concurrency` jobs run at once, and
 * a queue longer than `capacity` tells the webhook to shed load (503, Lark retries later) instead of timing out.
 */
export interface WorkQueueOptions {
  concurrency?: number;
  capacity?: number;
  onError?: (err: unknown) => void;
}

export interface WorkQueue {
  push(work: () => Promise<void>): void;
  /** True when another job would wait behind `capacity` others: answer 503 instead of accepting. */
  full(): boolean;
  size(): number;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

export function createWorkQueue(o: WorkQueueOptions = {}): WorkQueue {
  const concurrency = o.concurrency ?? 4;
  const capacity = o.capacity ?? 2_000;
  const jobs: (() => Promise<void>)[] = [];
  let running = 0;
  let waiters: (() => void)[] = [];

  const settle = () => {
    if (running === 0 && jobs.length === 0) {
      const w = waiters;
      waiters = [];
      for (const r of w) r();
    }
  };
  const startNext = () => {
    while (running < concurrency && jobs.length > 0) {
      const job = jobs.shift()!;
      running++;
      setImmediate(() => {
        Promise.resolve()
          .then(job)
          .catch((err) => o.onError?.(err))
          .finally(() => {
            running--;
            startNext();
            settle();
          });
      });
    }
  };
  return {
    push(work) {
      jobs.push(work);
      startNext();
    },
    full: () => jobs.length >= capacity,
    size: () => jobs.length + running,
    idle: () => (running === 0 && jobs.length === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
  };
}
