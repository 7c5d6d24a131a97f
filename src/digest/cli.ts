import { parseCli, runCli, UsageError, type CliSpec, type OptionSpec } from "../cli/args.js";
import { fixedClock, systemClock } from "../clock.js";
import { isoWeek } from "../domain/period.js";
import type { Services } from "../events/types.js";
import { noDirectory } from "../lark/client.js";
import { OutboxMessenger } from "../lark/outbox.js";
import { renderCard } from "../local/render.js";
import { findRunningBot } from "../node/runtime-file.js";
import { createPlainLogger } from "../log.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { digestForChat, digestStatus, enqueueWeeklyDigests } from "./send.js";

/**
 * npm run digest -- --dry-run [--chat ID] [--at 2026-11-30T09:00+08:00] [--json]   print, send nothing
 * npm run digest -- --status [--week 2026-W49]                                  what was sent, pending, failed
 * npm run digest                                                                queue this week's digests now
 */
const spec = {
  command: "npm run digest --",
  summary: "每周周报：预览、查看发送状态，或立即排队发送 (the weekly digest: preview, status, queue now)",
  options: {
    "dry-run": { type: "boolean", help: "只打印周报卡片，不发送" },
    status: { type: "boolean", help: "某一周的发送情况：已发送 / 待发送 / 失败" },
    week: { type: "string", arg: "2026-W49", help: "和 --status 一起：哪一周（ISO 周，默认本周）" },
    chat: { type: "string", arg: "<chat_id>", help: "和 --dry-run 一起：只看这个群" },
    at: { type: "string", arg: "2026-11-30T09:00+08:00", help: "按这个时间计算（默认现在）" },
    json: { type: "boolean", help: "和 --dry-run 一起：打印卡片 JSON" },
  },
  examples: ["npm run digest -- --dry-run --chat oc_demo_supervisor", "npm run digest -- --status --week 2026-W49", "npm run digest"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

async function main() {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.week !== undefined && !/^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/.test(values.week)) {
    throw new UsageError(`--week 要写 ISO 周，例如 2026-W49（收到 “${values.week}”）`);
  }
  if (values.week !== undefined && !values.status) throw new UsageError("--week 只和 --status 一起用，例如 npm run digest -- --status --week 2026-W49");
  if (values.status && values["dry-run"]) throw new UsageError("--status 和 --dry-run 一次只能用一个");
  const at = values.at ? new Date(values.at) : null;
  if (at && Number.isNaN(at.getTime())) throw new UsageError(`--at 不是有效时间，例如 2026-11-30T09:00+08:00（收到 ${values.at}）`);
  const clock = at ? fixedClock(at) : systemClock;
  const dbPath = process.env["DATABASE_PATH"] ?? defaultDatabasePath();
  const store = openSqlite({ path: dbPath });
  const log = createPlainLogger();
  try {
    if (values.status) {
      const week = values.week ?? isoWeek(clock.now());
      const rows = await digestStatus({ db: store.db }, week);
      console.log(`周报发送状态 ${week}: 已发送 ${rows.filter((r) => r.status === "sent").length}，待发送 ${rows.filter((r) => r.status === "pending" || r.status === "sending").length}，失败 ${rows.filter((r) => r.status === "failed").length}`);
      for (const r of rows) console.log(`  ${r.status.padEnd(8)} ${r.target}  尝试 ${r.attempts} 次${r.last_error ? `  错误: ${r.last_error}` : ""}`);
      return 0;
    }
    // Queued rows are due now even with --at: a future --at must not hold the sends back until then.
    const services: Services = { db: store.db, clock, messenger: new OutboxMessenger(store.db, systemClock), directory: noDirectory, log, adminOpenIds: [] };
    if (values["dry-run"]) {
      const chats = values.chat ? [{ chat_id: values.chat }] : await store.db.selectFrom("chats").select("chat_id").orderBy("chat_id").execute();
      if (chats.length === 0) console.log("没有绑定的群。管理员在群里发送 /绑定 群 单位名称 或 /绑定 督办 后再试。");
      for (const c of chats) {
        const card = await digestForChat(services, c.chat_id, clock.now());
        console.log(`\n=== ${c.chat_id} ===`);
        console.log(card ? (values.json ? JSON.stringify(card, null, 1) : renderCard(card)) : "（该群未绑定单位）");
      }
      return 0;
    }
    const r = await enqueueWeeklyDigests(services, clock.now());
    console.log(`已排队 ${r.queued} 份周报（${r.week}，共 ${r.chats} 个群）；${await whoSends(dbPath)}查看：npm run digest -- --status`);
    return 0;
  } finally {
    await store.close();
  }
}

/** Who will deliver the queued rows: the bot running on this database (its runtime file says which kind), or nobody yet. */
async function whoSends(dbPath: string): Promise<string> {
  const bot = await findRunningBot(dbPath);
  if (!bot) return "现在没有机器人在这个数据库上运行：启动后（npm start 或 npm run local）即发送。";
  if (bot.mode === "local") return `本地模式的机器人（pid ${bot.pid}）会把它们打印在它的终端日志里。`;
  return `运行中的机器人（pid ${bot.pid}）会按频率限制发送。`;
}

runCli(main);
