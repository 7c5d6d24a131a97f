import { parentPort, workerData } from "node:worker_threads";
import { cardActions, commands } from "../../commands/index.js";
import { fixedClock } from "../clock.js";
import { RecordingMessenger, recordingLogger, runReadJob, type ReadJob, type RecordedLog, type RecordedSend } from "../events/read-elsewhere.js";
import type { Directory } from "../lark/messenger.js";
import { openSqliteReader } from "../store/sqlite.js";
import type { LoopSettings } from "../supervision/cuiban.js";

/**
 * A read worker (src/node/read-pool.ts): runs read-only commands' events on its own read-only connection to the
 * SQLite file and posts back the answers they would send. What it cannot do here — a directory look-up (an unbound
 * sender, a chat whose mode is not cached), a write — it does not attempt: the job is posted back as a fallback
 * and the main thread runs the command itself.
 */
export interface ReadWorkerData {
  databasePath: string;
  adminOpenIds: string[];
  loop?: Partial<LoopSettings>;
  /** Tests: every job first blocks the thread this long, as a worker stuck in a job would (0: never). */
  stallMs?: number;
}
export type ToReadWorker = { id: number; job: ReadJob } | { close: true };
export type FromReadWorker = { ready: true } | { id: number; sends: RecordedSend[]; logs: RecordedLog[] } | { id: number; fallback: string };

const port = parentPort!;
const data = workerData as ReadWorkerData;
/** Why the job being run must run on the main thread instead (null: it need not). */
let needsMain: string | null = null;
const store = openSqliteReader(data.databasePath, (sql) => void (needsMain ??= `write: ${sql.slice(0, 60)}`));
const directory: Directory = {
  async userDepartments() {
    needsMain ??= "directory";
    return [];
  },
  async chatInfo() {
    needsMain ??= "directory";
    return null;
  },
};
const registry = { commands, cardActions };

async function run(id: number, job: ReadJob): Promise<void> {
  if (data.stallMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, data.stallMs);
  needsMain = null;
  const messenger = new RecordingMessenger();
  const logs: RecordedLog[] = [];
  const s = { db: store.db, clock: fixedClock(job.now), messenger, directory, log: recordingLogger(logs), adminOpenIds: data.adminOpenIds, ...(data.loop ? { loop: data.loop } : {}) };
  try {
    // One read transaction for the whole job: the command sees one snapshot of the store, not the main thread's
    // commits landing between its statements. (SQLite also drops a connection's page cache when another has committed
    // since its last read: now once per job rather than per statement; not measurable in the closed loop.)
    await store.db.transaction().execute((trx) => runReadJob({ ...s, db: trx }, registry, job));
  } catch (err) {
    needsMain ??= `failed: ${String(err)}`;
  }
  const reply: FromReadWorker = needsMain ? { id, fallback: needsMain } : { id, sends: messenger.sends, logs };
  try {
    port.postMessage(reply);
  } catch (err) {
    port.postMessage({ id, fallback: `answer not transferable: ${String(err)}` } satisfies FromReadWorker);
  }
}

// One job at a time: they would only take turns on the one connection anyway, and each is answered sooner.
let queue = Promise.resolve();
port.on("message", (m: ToReadWorker) => {
  if ("close" in m) {
    void queue.then(() => store.close()).then(() => port.close());
    return;
  }
  queue = queue.then(() => run(m.id, m.job));
});
port.postMessage({ ready: true } satisfies FromReadWorker);
