import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";

/**
 * better-sqlite3 answers synchronously and Kysely resolves at once, so a command that runs thirty queries is one
 * long chain of microtasks: while it runs, the HTTP server cannot accept or answer anything, and under load acks
 * queue behind whole commands. Yielding to the event loop (a macrotask) between queries lets the webhook answer
 * between the queries of the work queued after earlier answers.
 *
 * It yields once `sliceMs` have passed since the last yield, not after every query: a yield lets every waiting
 * request run first, and under a flood of requests thirty yields per command made each command wait behind hundreds
 * of answers (most of them 503s for Lark to retry), so few commands got done. A slice of a few milliseconds keeps an
 * ack's wait behind running work that short.
 */
export class YieldToEventLoop implements KyselyPlugin {
  #since = performance.now();
  constructor(private readonly sliceMs = 4) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (performance.now() - this.#since < this.sliceMs) return args.result;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#since = performance.now();
    return args.result;
  }
}
