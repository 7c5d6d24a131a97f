/**
 * Runs at most `n` of the works given to it at once; the others wait in arrival order. A work may give up its place
 * before it ends (`leave`, for a wait that needs no place: a commit waiting for the disk); it does at the latest when
 * it ends. A place given up goes straight to the next waiting work, so nobody arriving in between can take it.
 */
export function runningAtMost(n: number): <T>(work: (leave: () => void) => Promise<T>) => Promise<T> {
  const limit = Math.max(1, n);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running < limit) running++;
    else await new Promise<void>((r) => waiting.push(r));
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      const next = waiting.shift();
      if (next) next();
      else running--;
    };
    try {
      return await work(leave);
    } finally {
      leave();
    }
  };
}
