/**
 * Admission for card callbacks. Lark waits 3 s for a callback's answer and never retries one, so under a burst the
 * worst outcome is many handlers running at once, each slowed by all the others, until every answer is late and the
 * user sees Lark's own error. Instead at most `concurrency` handlers run at once; the others wait in arrival order,
 * and a callback that could not start with `reserveMs` of its budget left is answered at once with a toast asking
 * the user to tap again (nothing is stored for it). A callback is also refused on arrival when the queue ahead of it
 * is already longer than its budget can absorb at the recent service time, so refusals are fast, not last-second.
 *
 * Runtime-neutral (timers only): Node shares one gate across requests; a Worker isolate gets its own.
 */
export interface AdmissionOptions {
  /** Handlers running at once. */
  concurrency?: number;
  /** Callbacks that may wait for a slot; one more is refused on arrival. */
  capacity?: number;
  /** A waiting callback is refused once less than this is left of its budget (the handler needs time to run). */
  reserveMs?: number;
  now?: () => number;
}

export interface Admission {
  /**
   * Resolves with a release function once the callback may run, or with null when it is refused (answer at once).
   * `deadline` is when its answer must be out, on the `now()` clock (performance.now() by default).
   */
  enter(deadline: number): Promise<(() => void) | null>;
  /** Running and waiting callbacks. */
  load(): { running: number; waiting: number };
}

export function createAdmission(o: AdmissionOptions = {}): Admission {
  const concurrency = Math.max(1, o.concurrency ?? 8);
  const capacity = Math.max(0, o.capacity ?? 1_000);
  const reserveMs = o.reserveMs ?? 1_000;
  const now = o.now ?? (() => performance.now());
  type Waiter = { deadline: number; grant: (release: (() => void) | null) => void; timer: ReturnType<typeof setTimeout> };
  const waiting: Waiter[] = [];
  let running = 0;
  // Recent handler time (exponential average), to refuse on arrival a callback that cannot be reached in time.
  let serviceMs = 0;

  const release = (startedAt: number) => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const took = now() - startedAt;
      serviceMs = serviceMs === 0 ? took : serviceMs * 0.9 + took * 0.1;
      running--;
      next();
    };
  };
  const next = () => {
    while (running < concurrency && waiting.length > 0) {
      const w = waiting.shift()!;
      clearTimeout(w.timer);
      if (w.deadline - now() < reserveMs) {
        w.grant(null);
        continue;
      }
      running++;
      w.grant(release(now()));
    }
  };

  return {
    enter(deadline) {
      const left = deadline - now();
      if (running < concurrency && waiting.length === 0) {
        running++;
        return Promise.resolve(release(now()));
      }
      const expectedWait = ((waiting.length + 1) * serviceMs) / concurrency;
      if (waiting.length >= capacity || left - expectedWait < reserveMs) return Promise.resolve(null);
      return new Promise((grant) => {
        const w: Waiter = {
          deadline,
          grant,
          timer: setTimeout(() => {
            const i = waiting.indexOf(w);
            if (i >= 0) waiting.splice(i, 1);
            grant(null);
          }, Math.max(0, left - reserveMs)),
        };
        waiting.push(w);
      });
    },
    load: () => ({ running, waiting: waiting.length }),
  };
}
