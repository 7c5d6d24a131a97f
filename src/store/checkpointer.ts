import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** SQLite's own default: a commit that takes the WAL past this many pages checkpoints it. */
const AUTOMATIC_PAGES = 1000;

export interface Checkpointer {
  /** Stops the worker and closes its connection; the main connection checkpoints on its own again. */
  stop(): Promise<void>;
}

/**
 * Checkpoints the WAL from a connection of its own on a worker thread. SQLite checkpoints inside the commit that takes
 * the WAL past 1,000 pages, on the thread that commits: for the server, the main thread, where one checkpoint cost
 * 3–10 ms of CPU and stalled every request for 8–100 ms (about every 60 `/我的任务` under load, each writing about 16
 * pages). Here the worker checkpoints every `everyMs` (PASSIVE: it neither waits for the writer nor blocks it, and
 * syncs the WAL before copying, so nothing not yet durable reaches the database file), and the main connection's
 * automatic checkpoints are off while it runs. Should the worker fail or exit, they are turned back on: the WAL is
 * never left to grow without anyone checkpointing it.
 */
export function checkpointElsewhere(raw: BetterSqlite3.Database, path: string, o: { everyMs?: number; onError?: (err: unknown) => void } = {}): Checkpointer {
  const moduleId = createRequire(import.meta.url).resolve("better-sqlite3");
  // Plain CommonJS evaluated by the worker: no loader is needed under tsx or in dist/.
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const Database = require(workerData.moduleId);
    const db = new Database(workerData.path, { fileMustExist: true });
    const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
    const timer = setInterval(() => checkpoint.get(), workerData.everyMs);
    parentPort.on("message", () => {
      clearInterval(timer);
      db.close();
      parentPort.close();
    });
    parentPort.postMessage("ready");
  `;
  const worker = new Worker(code, { eval: true, workerData: { moduleId, path, everyMs: o.everyMs ?? 200 } });
  // A command-line tool that never closes its store still exits: the worker does not keep the process alive.
  worker.unref();
  let running = false;
  const automatic = () => {
    if (!raw.open) return;
    raw.pragma(`wal_autocheckpoint = ${AUTOMATIC_PAGES}`);
  };
  worker.on("message", (m) => {
    if (m !== "ready") return;
    running = true;
    raw.pragma("wal_autocheckpoint = 0");
  });
  worker.on("error", (err) => o.onError?.(err));
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      if (running) automatic();
      running = false;
      resolve();
    }),
  );
  return {
    async stop() {
      worker.postMessage("stop");
      const late = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(late);
    },
  };
}
