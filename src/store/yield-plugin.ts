import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";

/**
 * better-sqlite3 answers synchronously and Kysely resolves at once, so a command that runs thirty queries is one
 * long chain of microtasks: while it runs, the HTTP server cannot accept or answer anything, and under load acks
 * queue behind whole commands. Yielding to the event loop (a macrotask) between queries lets the webhook answer
 * between the queries of the work queued after earlier answers.
 *
 * It yields once `sliceMs` have passed since the last yield, not after every query: a yield lets every waiting
 * request run first, and under a flood of requests thirty yields per command made each command wait behind hundreds
 * of answers (most of them 503s for Lark to retry), so few commands got done.
 */
export class YieldToEventLoop implements KyselyPlugin {
  #since = performance.now();
  constructor(private readonly sliceMs = 4) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (performance.now() - this.#since < this.sliceMs) return args.result;
    await nextTurn();
    this.#since = performance.now();
    return args.result;
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
