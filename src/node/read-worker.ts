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

/** Runs one job inside its batch's read transaction and posts its answer (or why the main thread must run it). */
async function run(id: number, job: ReadJob, db: typeof store.db): Promise<void> {
  if (data.stallMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, data.stallMs);
  needsMain = null;
  const messenger = new RecordingMessenger();
  const logs: RecordedLog[] = [];
  const s = { db, clock: fixedClock(job.now), messenger, directory, log: recordingLogger(logs), adminOpenIds: data.adminOpenIds, ...(data.loop ? { loop: data.loop } : {}) };
  try {
    await runReadJob(s, registry, job);
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

/**
 * Jobs run in batches, one read transaction each: every job received before a batch starts reading shares its
 * snapshot, so each job still sees every commit made before it was posted, and a command sees one state of the store,
 * not the main thread's commits landing between its statements. Per batch rather than per job because SQLite drops a
 * connection's whole page cache when another connection has committed since its last read, and under load the main
 * thread commits every few milliseconds. A batch starts a turn after its first job arrived, so the jobs the main thread
 * posted together are in it (without that wait each batch held one job: the first message's job ran to its end before
 * the next message was delivered).
 */
const waiting: { id: number; job: ReadJob }[] = [];
let batches: Promise<void> | null = null;

async function runBatches(): Promise<void> {
  while (waiting.length > 0) {
    const batch = waiting.splice(0);
    let done = 0;
    try {
      await store.db.transaction().execute(async (trx) => {
        for (const j of batch) {
          await run(j.id, j.job, trx);
          done++;
        }
      });
    } catch (err) {
      // The transaction itself failed (its BEGIN or COMMIT; a job's own failure is posted by run): the jobs not yet
      // answered run on the main thread, at once rather than after the pool's timeout.
      for (const j of batch.slice(done)) port.postMessage({ id: j.id, fallback: `failed: ${String(err)}` } satisfies FromReadWorker);
    }
  }
  batches = null;
}

port.on("message", (m: ToReadWorker) => {
  if ("close" in m) {
    void (batches ?? Promise.resolve()).then(() => store.close()).then(() => port.close());
    return;
  }
  waiting.push(m);
  batches ??= new Promise<void>((r) => setImmediate(r)).then(runBatches);
});
port.postMessage({ ready: true } satisfies FromReadWorker);
