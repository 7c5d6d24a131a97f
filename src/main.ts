import { createServer } from "node:net";
import { ConfigError, listenHost, loadConfig } from "./config.js";
import { removeRuntimeFile, writeRuntimeFile } from "./node/runtime-file.js";
import type { Runtime } from "./node/runtime.js";
import { startupLines } from "./node/startup-banner.js";

/**
 * The bot on the embedded SQLite store, seeded from seeds/. `npm start` runs it for a Lark tenant (LARK_* set);
 * `npm run local` sets DUBAN_LOCAL=1 for the loopback demo (no authentication, demo roster). Neither set is refused:
 * a server that silently fell back to the demo would let anyone act as an admin (see loadConfig).
 */
const SHUTDOWN_GRACE_MS = 15_000;

/** loadConfig refuses neither-nor, both, and Lark without LARK_ENCRYPT_KEY, each with how to fix it. */
function modeError(env: Record<string, string | undefined>): string | null {
  try {
    loadConfig(env);
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

function portInUse(port: number, local: boolean): string {
  const cmd = local ? "npm run local" : "npm start";
  return (
    `端口 ${port} 已被占用（也许另一个督办助手已在运行）。停止占用它的进程（ss -ltnp 'sport = :${port}' 可查），或换一个端口：PORT=${port + 1} ${cmd}\n` +
    `Port ${port} is already in use (perhaps another duban is running). Stop that process, or pick another port: PORT=${port + 1} ${cmd}`
  );
}

/** Whether host:port can be bound now (false: EADDRINUSE). */
function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(false) : reject(err)));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

async function main(): Promise<number | null> {
  const problem = modeError(process.env);
  if (problem) {
    console.error(problem);
    return 1;
  }
  // A busy port is found before the store is opened and the runtime loaded: the refusal comes at once and writes
  // nothing (no database created, migrated or seeded). The listen itself still handles one taken in between.
  const config = loadConfig(process.env);
  if (!(await portFree(config.PORT, listenHost(config)))) {
    console.error(portInUse(config.PORT, config.mode === "local"));
    return 1;
  }
  const { startRuntime } = await import("./node/runtime.js");
  let rt: Runtime;
  try {
    rt = await startRuntime({ scheduler: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      console.error(portInUse(config.PORT, config.mode === "local"));
      return 1;
    }
    throw err;
  }
  const log = rt.services.log;
  for (const line of startupLines(rt, process.pid)) log.info(line);

  // The chat client reads the SQLite file directly; with PostgreSQL there is no file to point it at.
  const databasePath = rt.store.dialect === "sqlite" ? rt.store.label : "";
  writeRuntimeFile({ url: rt.url, pid: process.pid, databasePath, mode: rt.config.mode, startedAt: new Date().toISOString() });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`再次收到 ${signal}，立即退出 second ${signal}: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`收到 ${signal}，正在停止：处理完进行中的请求，发送已排队的消息 shutting down (finishing in-flight work, flushing the outbox)`);
    // A platform that never answers must not keep the process alive forever; unsent rows stay in the outbox.
    setTimeout(() => {
      log.error(`${SHUTDOWN_GRACE_MS / 1000} 秒内未能停止，强制退出 shutdown timed out; pending sends resume at the next start`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    if (databasePath) removeRuntimeFile(databasePath);
    rt.close().then(
      () => {
        log.info("已停止 stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error("停止时出错 error while stopping", { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return null;
}

main().then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
