/**
 * better-sqlite3 answers synchronously and Kysely resolves at once, so a command that runs thirty queries is one
 * long chain of microtasks: while it runs, the HTTP server cannot accept or answer anything, and under load acks
 * queue behind whole commands. So the store yields to the event loop (a macrotask) between statements once the
 * code running in this turn has run `sliceMs` (src/store/group-commit.ts, when a statement gives the connection
 * back: never while SQLite's only connection is held, or every ack would wait for the holder's next turn).
 *
 * Not after every statement: a yield lets every waiting request run first, and under a flood of requests thirty
 * yields per command made each command wait behind hundreds of answers (most of them 503s for Lark to retry).
 */
export class TurnSlice {
  #startedAt: number | null = null;
  constructor(private readonly sliceMs = 4) {}

  /** A statement starts: the first one in a turn of the event loop starts the clock of this turn. */
  note(): void {
    if (this.#startedAt !== null) return;
    this.#startedAt = performance.now();
    // Runs at the end of this turn (setImmediate): the next statement is in a new turn, whoever yielded.
    setImmediate(() => {
      this.#startedAt = null;
    });
  }

  /** True once the code running in this turn has run `sliceMs` since its first statement. */
  spent(): boolean {
    return this.#startedAt !== null && performance.now() - this.#startedAt >= this.sliceMs;
  }
}

const waiting: (() => void)[] = [];
const resumeOne = () => {
  waiting.shift()?.();
  // Scheduled from inside a setImmediate callback, the next one runs in the next turn of the event loop, after
  // the network has been polled again.
  if (waiting.length > 0) setImmediate(resumeOne);
};

/**
 * Resolves in a later turn of the event loop, one waiter per turn: several jobs yielding at once get one slice
 * each, in turns, with the network polled between them, so a request arriving meanwhile waits one slice, not one
 * slice of every job.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length === 1) setImmediate(resumeOne);
  });
}
