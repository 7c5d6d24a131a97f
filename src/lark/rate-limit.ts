import type { Clock } from "../clock.js";

/**
 * Lark's send limits: 50 requests/s per app and 5/s per chat or user (shared by all bots in a group).
 * A sliding one-second window per key; `acquire` waits (through the injected sleep) until both windows have room.
 */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly perApp = 50,
    private readonly perTarget = 5,
  ) {}

  /** How long to wait before one more request to `target` fits; 0 = now. */
  waitFor(target: string): number {
    const now = this.clock.now().getTime();
    const wait = (key: string, limit: number) => {
      const w = (this.windows.get(key) ?? []).filter((t) => t > now - 1000);
      this.windows.set(key, w);
      return w.length < limit ? 0 : w[w.length - limit]! + 1000 - now;
    };
    return Math.max(wait("app", this.perApp), wait(`t:${target}`, this.perTarget));
  }

  async acquire(target: string): Promise<void> {
    for (let ms = this.waitFor(target); ms > 0; ms = this.waitFor(target)) await this.sleep(ms);
    const now = this.clock.now().getTime();
    this.windows.get("app")!.push(now);
    this.windows.get(`t:${target}`)!.push(now);
  }
}
