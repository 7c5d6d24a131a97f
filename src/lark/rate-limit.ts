import type { Clock } from "../clock.js";

/**
 * Lark's send limits: per app 50 requests/s and 1,000/min, and 5/s per chat or user (shared by all bots in a
 * group). Sliding windows per key; `acquire` waits (through the injected sleep) until every window has room.
 */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly perApp = 50,
    private readonly perTarget = 5,
    private readonly perAppMinute = 1000,
  ) {}

  private rules(target: string): [string, number, number][] {
    return [["app", this.perApp, 1000], ["app-minute", this.perAppMinute, 60_000], [`t:${target}`, this.perTarget, 1000]];
  }

  /** How long to wait before one more request to `target` fits; 0 = now. */
  waitFor(target: string): number {
    const now = this.clock.now().getTime();
    let wait = 0;
    for (const [key, limit, span] of this.rules(target)) {
      const w = (this.windows.get(key) ?? []).filter((t) => t > now - span);
      this.windows.set(key, w);
      if (w.length >= limit) wait = Math.max(wait, w[w.length - limit]! + span - now);
    }
    return wait;
  }

  async acquire(target: string): Promise<void> {
    for (let ms = this.waitFor(target); ms > 0; ms = this.waitFor(target)) await this.sleep(ms);
    const now = this.clock.now().getTime();
    for (const [key] of this.rules(target)) this.windows.get(key)!.push(now);
  }
}
