import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * A running bot writes its address and database next to that database (data/duban.runtime.json), so the chat
 * client talks to the bot that owns the data it reads — not to whatever answers on the default port.
 */
export interface RuntimeInfo {
  url: string;
  pid: number;
  databasePath: string;
  mode: "lark" | "local";
  startedAt: string;
}

export const runtimeFilePath = (databasePath: string) => join(dirname(resolve(databasePath)), "duban.runtime.json");

export function writeRuntimeFile(info: RuntimeInfo): string | null {
  if (info.databasePath === ":memory:" || info.databasePath === "") return null;
  const path = runtimeFilePath(info.databasePath);
  // Write then rename: a reader never sees half a file.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** Removes the file if it still describes this process (a newer bot on the same data may have replaced it). */
export function removeRuntimeFile(databasePath: string, pid = process.pid): void {
  const info = readRuntimeFile(databasePath);
  if (info?.pid === pid) rmSync(runtimeFilePath(databasePath), { force: true });
}

export function readRuntimeFile(databasePath: string): RuntimeInfo | null {
  const path = runtimeFilePath(databasePath);
  if (!existsSync(path)) return null;
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as RuntimeInfo;
    return typeof info.url === "string" && typeof info.pid === "number" && typeof info.databasePath === "string" ? info : null;
  } catch {
    return null;
  }
}

/** The bot described by the file, if that process still runs and answers its health check. */
export async function findRunningBot(databasePath: string): Promise<RuntimeInfo | null> {
  const info = readRuntimeFile(databasePath);
  if (!info) return null;
  try {
    process.kill(info.pid, 0);
  } catch {
    return null;
  }
  const ok = await fetch(`${info.url}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
  return ok ? info : null;
}
