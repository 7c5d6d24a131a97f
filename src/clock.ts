/** Time is an input: everything that needs "now" takes a Clock, so tests pass a fixed one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string | Date): Clock & { set(iso: string | Date): void; advance(ms: number): void } {
  let t = new Date(iso).getTime();
  return {
    now: () => new Date(t),
    set: (v) => void (t = new Date(v).getTime()),
    advance: (ms) => void (t += ms),
  };
}

/**
 * A clock that reads `iso` now and then runs at real speed. For demos and tests that need a given date while the
 * rest of the process (rate limiting, pacing, timeouts) still sees time pass.
 */
export function clockStartingAt(iso: string | Date, realNow: () => number = Date.now): Clock {
  const offset = new Date(iso).getTime() - realNow();
  return { now: () => new Date(realNow() + offset) };
}
