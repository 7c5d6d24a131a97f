import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseCli, runCli, UsageError, type CliSpec, type OptionSpec } from "../cli/args.js";
import { findRunningBot, runtimeFilePath } from "../node/runtime-file.js";
import { startRuntime, type Runtime } from "../node/runtime.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { demoOpenIdForUnit } from "../store/unit-names.js";
import { unitLabel } from "../store/units.js";
import { cardsFor, cardTitle, click, resolveSpeaker, say, sendFileMessage, type ChatTarget, type Delivered } from "./chat-client.js";
import { localUploadsDir } from "./files.js";
import { renderCallbackResponse, renderCard } from "./render.js";

/**
 * The terminal Lark client of local mode. It talks to the bot whose runtime file sits next to DATABASE_PATH
 * (data/duban.runtime.json, written by `npm run local`), so the cards it reads and the bot it posts to share one
 * database; without a running bot it starts one in-process on that database.
 */
const spec = {
  command: "npm run chat --",
  positionals: '"/命令 …"',
  summary: "以某个用户的身份给督办助手发消息、点卡片按钮 (play the Lark client against the local bot)",
  options: {
    as: { type: "string", arg: "<open_id|单位名>", help: "以谁的身份：open_id（ou_…）或单位名（用该单位的演示账号）；--list 列出" },
    click: { type: "string", arg: "<按钮>", help: "点击按钮：按钮文字、名称或编号（--cards 列出）；默认找最新的有此按钮的卡片" },
    card: { type: "string", arg: "<N>", help: "和 --click 一起：点第 N 张卡片（1 = 最新，--cards 列出）" },
    field: { type: "string", multiple: true, arg: "名称=值", help: "填写卡片表单，例如 --field 数值=85 --field 周期=2026Q4" },
    cards: { type: "boolean", help: "列出这个用户可以点击的卡片和按钮" },
    chat: { type: "string", arg: "<chat_id>", help: "消息发到哪个会话（默认与机器人的单聊；--group 时默认 oc_local_group）" },
    group: { type: "boolean", help: "作为群消息发送（@督办助手）" },
    list: { type: "boolean", help: "列出可用的演示账号（单位、管理员、督办）" },
    file: { type: "string", arg: "<文件>", help: "发送一个文件（方案 .docx/.xlsx/.pdf/.txt，管理员或督办导入）" },
  },
  examples: [
    'npm run chat -- --as 渝中区卫健委 "/我的任务"',
    'npm run chat -- --as 渝中区卫健委 "/上报 签约"',
    "npm run chat -- --as 渝中区卫健委 --click 提交 --field 数值=85 --field 周期=2026Q4",
    "npm run chat -- --as ou_demo_admin --cards",
    "npm run chat -- --as ou_demo_admin --click 同意 --card 2",
    'npm run chat -- --as ou_demo_supervisor --chat oc_demo_supervisor --group "/周报"',
    "npm run chat -- --as ou_demo_admin --file 方案.txt",
  ],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

async function main(): Promise<number> {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const wants = [values.click !== undefined, positionals.length > 0, values.cards === true, values.file !== undefined].filter(Boolean).length;
  if (!values.list && (!values.as || wants !== 1)) {
    throw new UsageError(`${!values.as ? "缺少 --as（以谁的身份）" : wants === 0 ? "要发送的消息、--file、--click 或 --cards 需要一个" : "消息、--file、--click 和 --cards 一次只能用一个"}\n\n用 --help 查看全部选项。`);
  }
  const card = values.card === undefined ? undefined : Number(values.card);
  if (card !== undefined && (!Number.isInteger(card) || card < 1)) throw new UsageError(`--card 要写正整数，1 = 最新的卡片（收到 “${values.card}”）`);
  if (card !== undefined && values.click === undefined) throw new UsageError("--card 要和 --click 一起用，例如 --click 同意 --card 2");
  const fields: Record<string, string> = {};
  for (const f of values.field ?? []) {
    const i = f.indexOf("=");
    if (i < 1) throw new UsageError(`--field 写成 名称=值，例如 --field 数值=85（收到 “${f}”）`);
    fields[f.slice(0, i)] = f.slice(i + 1);
  }

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
    const speaker = await resolveSpeaker(target.db, values.as!);
    console.log(`（以 ${speaker.label} 身份，${where}）\n`);
    if (values.cards) {
      const shown = await cardsFor(target.db, speaker.openId);
      if (shown.length === 0) console.log("（没有可以点击的卡片。先发送一条命令，例如 /我的任务）");
      for (const c of shown) console.log(`--card ${c.index}  ${cardTitle(c.card)}  ${c.buttons.map((b, i) => `[${i + 1} ${b.label}]`).join(" ")}`);
    } else if (values.click !== undefined) {
      const { response, sent, card: clicked } = await click(target, speaker, values.click, fields, card === undefined ? {} : { card });
      if (clicked.index > 1) console.log(`（点击第 ${clicked.index} 张卡片“${cardTitle(clicked.card)}”）`);
      console.log(renderCallbackResponse(response));
      for (const s of sent) console.log(`\n→ 同时发给 ${s.target}\n${renderCard(s.card)}${saveFile(s)}`);
    } else {
      const answers = values.file !== undefined
        ? await sendFileMessage(target, speaker, { name: basename(values.file), bytes: new Uint8Array(readFileSync(values.file)) }, localUploadsDir(bot?.databasePath ?? dbPath))
        : await say(target, speaker, positionals.join(" "), { chatId: values.chat, group: values.group === true });
      if (answers.length === 0) console.log("（机器人没有回复）");
      for (const a of answers) {
        const note = a.kind === "ephemeral" ? "（仅你可见）\n" : a.kind === "send_user" || a.kind === "send_chat" ? `→ 同时发给 ${a.target}\n` : "";
        console.log(`${note}${renderCard(a.card)}${saveFile(a)}\n`);
      }
    }
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
