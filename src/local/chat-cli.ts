import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseCli, runCli } from "../cli/args.js";
import { findRunningBot, runtimeFilePath } from "../node/runtime-file.js";
import type { Runtime } from "../node/runtime.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { demoOpenIdForUnit } from "../store/unit-names.js";
import { unitLabel } from "../store/units.js";
import { resolveSpeaker, type ChatTarget, type Delivered } from "./chat-client.js";
import { chatRequest, chatSpec, runChatCommand, type ChatCommand } from "./chat-session.js";
import { localUploadsDir } from "./files.js";

/**
 * The terminal Lark client of local mode. It talks to the bot whose runtime file sits next to DATABASE_PATH
 * (data/duban.runtime.json, written by `npm run local`), so the cards it reads and the bot it posts to share one
 * database; without a running bot it starts one in-process on that database. What one command prints is
 * `runChatCommand` (chat-session.ts), shared with the README walkthrough generator.
 */
async function main(): Promise<number> {
  const parsed = parseCli(chatSpec);
  if (!parsed) return 0;
  const { values } = parsed;
  const request = values.list ? null : chatRequest(parsed);
  const dbPath = process.env["DATABASE_PATH"] ?? defaultDatabasePath();
  const bot = await findRunningBot(dbPath);
  let rt: Runtime | null = null;
  let target: ChatTarget;
  let where: string;
  if (bot) {
    target = { url: bot.url, db: openSqlite({ path: bot.databasePath }).db };
    where = `发送到运行中的机器人 ${bot.url}（pid ${bot.pid}，数据库 ${bot.databasePath}）`;
  } else {
    const quiet = { info: () => {}, warn: () => {}, error: (m: string, f?: Record<string, unknown>) => console.error(m, f ?? "") };
    // No LARK_* variables: the in-process bot is in local mode whatever the shell has set.
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LARK_"))), DUBAN_LOCAL: "1" };
    // Loaded only here: the Lark SDK, Hono and the schedulers would add seconds to every command sent to a running bot.
    const { startRuntime } = await import("../node/runtime.js");
    rt = await startRuntime({ env, port: 0, log: quiet, databasePath: dbPath });
    target = { url: rt.url, db: rt.store.db, idle: rt.idle };
    where = `没有运行中的机器人（未找到 ${runtimeFilePath(dbPath)}），在本进程内运行，数据库 ${dbPath}`;
  }
  try {
    if (values.list) {
      const units = await target.db.selectFrom("units").select(["jurisdiction", "name", "kind"]).where("kind", "=", "unit").orderBy("jurisdiction").orderBy("name").execute();
      console.log(`（${where}）\n`);
      console.log("ou_demo_admin        管理员（批准绑定、绑定群）");
      console.log("ou_demo_supervisor   督办办公室（看全部单位）");
      for (const u of units) console.log(`${(await demoOpenIdForUnit(u.jurisdiction, u.name)).padEnd(20)} ${unitLabel(u)}`);
      console.log(`\n共 ${units.length} 个单位的演示账号；--as 可写 open_id，也可写单位名（同名时加地区，例如 渝中区卫健委）。`);
      return 0;
    }
    const speaker = await resolveSpeaker(target.db, request!.as);
    console.log(`（以 ${speaker.label} 身份，${where}）\n`);
    const cmd: ChatCommand = request!.file !== undefined
      ? { kind: "file", name: basename(request!.file), bytes: new Uint8Array(readFileSync(request!.file)), uploadsDir: localUploadsDir(bot?.databasePath ?? dbPath) }
      : request!.cmd!;
    console.log(await runChatCommand(target, speaker, cmd, { saveFile }));
  } finally {
    if (rt) await rt.close();
    else await target.db.destroy();
  }
  return 0;
}

/** A file the bot sent is saved under data/received/, as the Lark client would download it. */
function saveFile(d: Delivered): string {
  if (!d.file) return "";
  const dir = resolve(process.env["DATABASE_PATH"] ? join(process.env["DATABASE_PATH"], "..") : "data", "received");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, d.file.name);
  writeFileSync(path, d.file.bytes);
  return `\n已保存到 saved to ${path}`;
}

runCli(main);
