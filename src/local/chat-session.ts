import { UsageError, type CliSpec, type OptionSpec } from "../cli/args.js";
import { cardsFor, cardTitle, click, say, sendFileMessage, type ChatTarget, type Delivered, type Speaker } from "./chat-client.js";
import { renderCallbackResponse, renderCard } from "./render.js";

/**
 * One `npm run chat` command as text: what the terminal client prints for a message, a file, a click or the list of
 * cards, without the line saying whom it talks to. The CLI prints it; the README walkthrough generator
 * (scripts/walkthrough.ts) runs the same function, so the README shows exactly what a user would see.
 */
export type ChatCommand =
  | { kind: "say"; text: string; chatId?: string; group?: boolean }
  | { kind: "file"; name: string; bytes: Uint8Array; uploadsDir: string }
  | { kind: "click"; label: string; fields?: Record<string, string>; card?: number }
  | { kind: "cards" };

/** The options of `npm run chat`; the walkthrough generator parses its README command lines with the same table. */
export const chatSpec = {
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

/** What one command line asks for: as whom, and the command (a file by its path, read by the caller). */
export interface ChatRequest {
  as: string;
  cmd?: Exclude<ChatCommand, { kind: "file" }>;
  file?: string;
}

/** Checks the combination of options (one of message, --file, --click, --cards) and builds the command. */
export function chatRequest({ values, positionals }: { values: { as?: string; click?: string; card?: string; field?: string[]; cards?: boolean; chat?: string; group?: boolean; file?: string }; positionals: string[] }): ChatRequest {
  const wants = [values.click !== undefined, positionals.length > 0, values.cards === true, values.file !== undefined].filter(Boolean).length;
  if (!values.as || wants !== 1) {
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
  if (values.file !== undefined) return { as: values.as, file: values.file };
  if (values.cards) return { as: values.as, cmd: { kind: "cards" } };
  if (values.click !== undefined) return { as: values.as, cmd: { kind: "click", label: values.click, fields, ...(card === undefined ? {} : { card }) } };
  return { as: values.as, cmd: { kind: "say", text: positionals.join(" "), ...(values.chat === undefined ? {} : { chatId: values.chat }), group: values.group === true } };
}

export interface ChatSessionOptions {
  /** A file message the bot sent (the 台账): keep it somewhere and say where; returns the text printed after it. */
  saveFile?: (d: Delivered) => string;
}

export async function runChatCommand(target: ChatTarget, speaker: Speaker, cmd: ChatCommand, o: ChatSessionOptions = {}): Promise<string> {
  const out: string[] = [];
  const saved = (d: Delivered) => (d.file && o.saveFile ? o.saveFile(d) : "");
  if (cmd.kind === "cards") {
    const shown = await cardsFor(target.db, speaker.openId);
    if (shown.length === 0) out.push("（没有可以点击的卡片。先发送一条命令，例如 /我的任务）");
    for (const c of shown) out.push(`--card ${c.index}  ${cardTitle(c.card)}  ${c.buttons.map((b, i) => `[${i + 1} ${b.label}]`).join(" ")}`);
  } else if (cmd.kind === "click") {
    const { response, sent, card: clicked } = await click(target, speaker, cmd.label, cmd.fields ?? {}, cmd.card === undefined ? {} : { card: cmd.card });
    if (clicked.index > 1) out.push(`（点击第 ${clicked.index} 张卡片“${cardTitle(clicked.card)}”）`);
    out.push(renderCallbackResponse(response));
    for (const s of sent) out.push(`\n→ 同时发给 ${s.target}\n${renderCard(s.card)}${saved(s)}`);
  } else {
    const answers = cmd.kind === "file"
      ? await sendFileMessage(target, speaker, { name: cmd.name, bytes: cmd.bytes }, cmd.uploadsDir)
      : await say(target, speaker, cmd.text, { chatId: cmd.chatId, group: cmd.group === true });
    if (answers.length === 0) out.push("（机器人没有回复）");
    for (const a of answers) {
      const note = a.kind === "ephemeral" ? "（仅你可见）\n" : a.kind === "send_user" || a.kind === "send_chat" ? `→ 同时发给 ${a.target}\n` : "";
      out.push(`${note}${renderCard(a.card)}${saved(a)}\n`);
    }
  }
  return out.join("\n");
}
