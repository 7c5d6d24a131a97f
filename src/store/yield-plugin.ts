import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";

/**
 * better-sqlite3 answers synchronously and Kysely resolves at once, so a command that runs thirty queries is one
 * long chain of microtasks: while it runs, the HTTP server cannot accept or answer anything, and under load acks
 * queue behind whole commands. Yielding to the event loop (a macrotask) after each query lets the webhook answer
 * between the queries of the work queued after earlier answers. It costs one setImmediate per query.
 */
export class YieldToEventLoop implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return args.result;
  }
}
