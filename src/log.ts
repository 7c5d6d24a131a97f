import type { Logger } from "./events/types.js";

/** One JSON line per entry; values that look like secrets are masked, so a pasted log never leaks them. */
export function createLogger(secrets: readonly string[] = [], write: (line: string) => void = (l) => console.log(l)): Logger {
  const mask = (s: string) => secrets.filter((x) => x.length >= 4).reduce((acc, x) => acc.split(x).join("***"), s);
  const emit = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    write(mask(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields })));
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** Local mode prints human lines: the outbox summary is what a newcomer wants to read. */
export function createPlainLogger(write: (line: string) => void = (l) => console.log(l)): Logger {
  const emit = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    write(`${level === "info" ? "" : `[${level}] `}${msg}${fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : ""}`);
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}
