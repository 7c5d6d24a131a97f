import { esc } from "../../cards/elements.js";
import { z } from "zod";
import type { CardActionResponse } from "../../cards/types.js";
import { errorCard, noticeCard } from "../../cards/notice.js";
import { resolveActor } from "../domain/actors.js";
import { isDubanError } from "../domain/errors.js";
import { chatKind } from "./private-answer.js";
import { parseJsonBounded } from "../http/body.js";
import { markEvent, recordEvent, unfinishedEvents } from "./inbox.js";
import { parseCommand, type ParsedCommand } from "./parse-command.js";
import { sendPrivately } from "./private-answer.js";
import type { BotAddedEvent, CardActionDef, CommandContext, CommandDef, IncomingMessage, Services } from "./types.js";
import { describeLarkError, larkErrorFields, errorLogFields } from "../lark/errors.js";
import { DeferredMessenger } from "../lark/deferred-messenger.js";
import type { KeptAnswers, ReadEvent } from "./read-elsewhere.js";

/** The toast of a callback answered before its handler finished: the result follows as a card update. */
export const CARD_STILL_WORKING = "正在处理，请稍候查看结果";
/** The toast of a callback refused because it could not be started in time (too many at once): nothing was stored. */
export const CARD_BUSY = "当前办理的人较多，本次操作未处理，请稍后再点一次";

/**
 * Runs one event's work in the store's transaction when it has one (see Services.transaction), with the sender
 * already resolved so nothing inside needs the directory. Without transactions (D1) the work runs as it is.
 */
async function inEventTransaction<T>(s: Services, senderOpenId: string | null, work: (s: Services) => Promise<T>): Promise<T> {
  if (!s.transaction) return work(s);
  const knownActor = senderOpenId ? await resolveActor(s, senderOpenId) : undefined;
  return s.transaction((tx) => work(knownActor ? { ...tx, knownActor } : tx));
}

/**
 * Runs a read-only command's event (CommandDef.readOnly) where the store has transactions: the command reads and
 * builds its cards outside any transaction, each statement taking SQLite's only connection for itself alone, so the
 * acks of other events interleave with it instead of waiting for a whole command; its answers are kept and then
 * written with the done mark in one short transaction (one commit, as before). A crash before that commit leaves the
 * event 'received' and nothing sent, so it runs again whole at start-up.
 */
async function readThenAnswer(s: Services, senderOpenId: string | null, eventId: string, work: (s: Services) => Promise<void>, event: ReadEvent): Promise<void> {
  const { transaction, readElsewhere, ...rest } = s;
  if (!transaction) throw new Error("readThenAnswer needs a store with transactions");
  // Read and built on another thread where there is one (Services.readElsewhere); null: not there, so here.
  let answers: KeptAnswers | null = readElsewhere ? await readElsewhere({ ...event, now: s.clock.now().toISOString() }) : null;
  if (!answers) {
    const knownActor = senderOpenId ? await resolveActor(s, senderOpenId) : undefined;
    const kept = new DeferredMessenger();
    await work({ ...rest, messenger: kept, ...(knownActor ? { knownActor } : {}) });
    answers = kept;
  }
  await transaction(async (tx) => {
    await answers.sendThrough(tx.messenger);
    await markEvent(tx.db, eventId, "done");
  });
}

/** Longest message text read as a command; longer messages get a short refusal and are not parsed. */
export const MAX_COMMAND_TEXT = 500;

export interface Registry {
  commands: readonly CommandDef[];
  cardActions: readonly CardActionDef[];
  /** Greets a group the bot was added to; without it the event is only recorded. */
  botAdded?: (s: Services, e: BotAddedEvent) => Promise<void>;
}

const messageEventSchema = z.object({
  schema: z.literal("2.0"),
  header: z.object({ event_id: z.string().min(1), event_type: z.literal("im.message.receive_v1") }),
  event: z.object({
    sender: z.object({ sender_id: z.object({ open_id: z.string().min(1) }), sender_type: z.string().optional() }),
    message: z.object({
      message_id: z.string().min(1),
      chat_id: z.string().min(1),
      chat_type: z.string(),
      message_type: z.string(),
      content: z.string(),
    }),
  }),
});
export type MessageEnvelope = z.infer<typeof messageEventSchema>;

/**
 * A card's `value` and `form_value`: any JSON object, taken as it is. Each action's handler validates what it reads
 * from them (e.g. submitValueSchema, formValueSchema); checking every key here as a record as well, and copying the
 * object, cost more than the rest of the envelope.
 */
const jsonObject = z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v));

const cardEventSchema = z.object({
  schema: z.literal("2.0"),
  header: z.object({ event_id: z.string().min(1), event_type: z.literal("card.action.trigger") }),
  event: z.object({
    operator: z.object({ open_id: z.string().min(1) }),
    token: z.string().optional(),
    action: z.object({
      value: jsonObject.optional().default({}),
      form_value: jsonObject.optional().default({}),
    }),
    context: z.object({ open_message_id: z.string().optional(), open_chat_id: z.string().optional() }).optional(),
  }),
});

/** A tap on the bot's custom menu (developer console → 机器人 → 自定义菜单, action "推送事件"). */
const menuEventSchema = z.object({
  schema: z.literal("2.0"),
  header: z.object({ event_id: z.string().min(1), event_type: z.literal("application.bot.menu_v6") }),
  event: z.object({
    operator: z.object({ operator_id: z.object({ open_id: z.string().min(1) }) }),
    event_key: z.string().min(1).max(200),
  }),
});
export type MenuEnvelope = z.infer<typeof menuEventSchema>;

const botAddedSchema = z.object({
  schema: z.literal("2.0"),
  header: z.object({ event_id: z.string().min(1), event_type: z.literal("im.chat.member.bot.added_v1") }),
  event: z.object({
    chat_id: z.string().min(1),
    operator_id: z.object({ open_id: z.string().optional() }).optional(),
  }),
});
export type BotAddedEnvelope = z.infer<typeof botAddedSchema>;

export const parseBotAddedEnvelope = (body: unknown) => botAddedSchema.safeParse(body);
export const parseMessageEnvelope = (body: unknown) => messageEventSchema.safeParse(body);
export const parseMenuEnvelope = (body: unknown) => menuEventSchema.safeParse(body);

/**
 * Menu keys and the command each runs. The key may also be any command's name or alias ("我的任务", "mytasks"),
 * so a console entry can name the command directly.
 */
export const MENU_KEYS: Record<string, string> = {
  my_tasks: "/我的任务",
  report: "/上报",
  progress: "/进度",
  digest: "/周报",
  help: "/帮助",
};

/** The command line a menu key stands for, or null for a key no command answers to. */
export function menuCommandLine(key: string, commands: readonly CommandDef[]): string | null {
  const k = key.trim().replace(/^\//, "");
  if (MENU_KEYS[k]) return MENU_KEYS[k]!;
  return parseCommand(`/${k}`, commands).command ? `/${k}` : null;
}

/**
 * A menu tap runs its command as if the user had typed it to the bot: the menu lives in the one-to-one chat, and
 * there is no message to reply to, so every answer is a new message to the user.
 */
export async function runMenu(s: Services, reg: Registry, env: MenuEnvelope): Promise<void> {
  const openId = env.event.operator.operator_id.open_id;
  const line = menuCommandLine(env.event.event_key, reg.commands);
  if (!line) {
    s.log.warn("unknown menu key", { eventKey: env.event.event_key });
    await s.messenger.sendToUser(openId, noticeCard("督办助手", "这个菜单项还没有对应的功能，请联系管理员检查菜单配置。发送 /帮助 查看可用命令。", "orange"));
    return;
  }
  const parsed = parseCommand(line, reg.commands);
  const command = parsed.command!;
  const message: IncomingMessage = { messageId: "", chatId: "", chatType: "p2p", senderOpenId: openId, text: line };
  const answer = (card: Parameters<CommandContext["reply"]>[0]) => s.messenger.sendToUser(openId, card, { viewer: openId });
  const ctx: CommandContext = { ...s, message, command: command.name, args: parsed.args, reply: answer, replyPrivately: answer };
  try {
    await command.handle(ctx);
  } catch (err) {
    if (isDubanError(err)) return answer(errorCard(esc(err.userText)));
    s.log.error("menu command failed", { command: command.name, ...errorLogFields(err) });
    await answer(errorCard("处理时出错了，已记录。请稍后重试；如仍失败，请联系管理员。"));
  }
}

/** Records the menu event once and runs it after the HTTP answer. Returns false for a duplicate. */
export async function acceptMenu(s: Services, reg: Registry, env: MenuEnvelope, runLater: (work: () => Promise<void>) => void): Promise<boolean> {
  const fresh = await recordEvent(s.acks ?? s.db, { eventId: env.header.event_id, kind: env.header.event_type, payload: env, now: s.clock.now(), together: true });
  if (!fresh) return false;
  runLater(async () => {
    try {
      const openId = env.event.operator.operator_id.open_id;
      const line = menuCommandLine(env.event.event_key, reg.commands);
      if (s.transaction && (!line || parseCommand(line, reg.commands).command?.readOnly)) {
        await readThenAnswer(s, openId, env.header.event_id, (rs) => runMenu(rs, reg, env), { kind: "menu", env });
        return;
      }
      // The command, its answer in the outbox and the done mark: one commit.
      await inEventTransaction(s, openId, async (tx) => {
        await runMenu(tx, reg, env);
        await markEvent(tx.db, env.header.event_id, "done");
      });
    } catch (err) {
      await markEvent(s.db, env.header.event_id, "failed", describeLarkError(larkErrorFields(err)));
    }
  });
  return true;
}
export const parseCardEnvelope = (body: unknown) => cardEventSchema.safeParse(body);

/** The text of a text message ("" for any other kind, or content that cannot be read). */
function messageText(m: MessageEnvelope["event"]["message"]): string {
  if (m.message_type !== "text") return "";
  try {
    return String((parseJsonBounded(m.content) as { text?: unknown }).text ?? "");
  } catch {
    return "";
  }
}

/** A text message's text and the command it names, read once for onlyReads and runMessage. */
interface ReadText {
  text: string;
  parsed: ParsedCommand;
}
const readText = (reg: Registry, m: MessageEnvelope["event"]["message"]): ReadText => {
  const text = messageText(m);
  // Over-long text is refused unparsed (runMessage); parsing it here would be the work that refusal avoids.
  return { text, parsed: text.length > MAX_COMMAND_TEXT ? { command: null, word: "", args: "", text } : parseCommand(text, reg.commands) };
};

/**
 * Whether what runMessage would do with this message only reads: a read-only command, the help that answers
 * anything else, or the refusal of an over-long text. A file is a plan to import, which writes.
 */
function onlyReads(reg: Registry, env: MessageEnvelope, read: ReadText): boolean {
  if (env.event.message.message_type === "file") return false;
  if (read.text.length > MAX_COMMAND_TEXT) return true;
  const command = read.parsed.command ?? reg.commands.find((c) => c.name === "帮助");
  return command?.readOnly === true;
}

/** A text message becomes a command run; anything that is not a known command gets the help command. */
export async function runMessage(s: Services, reg: Registry, env: MessageEnvelope, read?: ReadText): Promise<void> {
  const m = env.event.message;
  if (env.event.sender.sender_type && env.event.sender.sender_type !== "user") return;
  const { text, parsed } = read ?? readText(reg, m);
  let file: IncomingMessage["file"];
  if (m.message_type === "file") {
    try {
      const c = parseJsonBounded(m.content) as { file_key?: unknown; file_name?: unknown };
      if (typeof c.file_key === "string" && c.file_key) file = { key: c.file_key, name: typeof c.file_name === "string" && c.file_name ? c.file_name : "未命名文件" };
    } catch {
      file = undefined;
    }
  }
  const message: IncomingMessage = {
    messageId: m.message_id,
    chatId: m.chat_id,
    chatType: m.chat_type === "p2p" ? "p2p" : "group",
    senderOpenId: env.event.sender.sender_id.open_id,
    text,
    ...(file ? { file } : {}),
  };
  if (text.length > MAX_COMMAND_TEXT) {
    // Refused before parsing: no command is this long, and nothing downstream (look-ups, cards) should see such input.
    const refusal = errorCard(`消息太长（${text.length} 字）。命令请控制在 ${MAX_COMMAND_TEXT} 字以内，例如 /上报 签约；说明文字请在填报卡片的“说明”栏填写。`);
    await sendPrivately(s, { chatId: message.chatId, chatType: message.chatType, openId: message.senderOpenId, replyTo: message.messageId }, refusal, "mention");
    return;
  }
  const help = reg.commands.find((c) => c.name === "帮助");
  // A file is a plan sent for import (commands/import.ts), whatever the chat.
  const fileCommand = file ? reg.commands.find((c) => c.name === "导入") : undefined;
  const command = fileCommand ?? parsed.command ?? help;
  const ctx: CommandContext = {
    ...s,
    message,
    command: command?.name ?? "",
    args: fileCommand ? "" : parsed.command ? parsed.args : m.message_type === "text" ? parsed.text : `（${m.message_type} 消息）`,
    reply: (card) => s.messenger.reply(message.messageId, card, { viewer: message.senderOpenId, chatId: message.chatId }),
    replyPrivately: (card) =>
      sendPrivately(s, { chatId: message.chatId, chatType: message.chatType, openId: message.senderOpenId, replyTo: message.messageId }, card, "mention"),
  };
  if (!command) {
    await ctx.reply(noticeCard("督办助手", "发送 /帮助 查看可用命令。"));
    return;
  }
  try {
    await command.handle(ctx);
  } catch (err) {
    if (isDubanError(err)) {
      await ctx.replyPrivately(errorCard(esc(err.userText)));
      return;
    }
    s.log.error("command failed", { command: command.name, ...errorLogFields(err), stack: (err as Error).stack });
    await ctx.replyPrivately(errorCard("处理时出错了，已记录。请稍后重试；如仍失败，请联系管理员。"));
  }
}

/** Records a bot-added event once and greets the group after the HTTP answer. Returns false for a duplicate. */
export async function acceptBotAdded(
  s: Services,
  reg: Registry,
  env: BotAddedEnvelope,
  runLater: (work: () => Promise<void>) => void,
): Promise<boolean> {
  const eventId = env.header.event_id;
  // No payload kept: a greeting lost to a crash is not worth replaying at start-up (resume marks it failed).
  const fresh = await recordEvent(s.acks ?? s.db, { eventId, kind: env.header.event_type, payload: null, now: s.clock.now(), together: true });
  if (!fresh) return false;
  runLater(async () => {
    try {
      await reg.botAdded?.(s, { eventId, chatId: env.event.chat_id, operatorOpenId: env.event.operator_id?.open_id ?? null });
      await markEvent(s.db, eventId, "done");
    } catch (err) {
      s.log.error("bot-added greeting failed", { eventId, ...errorLogFields(err) });
      await markEvent(s.db, eventId, "failed", describeLarkError(larkErrorFields(err)));
    }
  });
  return true;
}

/** Records the message event once and runs it after the HTTP answer. Returns false for a duplicate. */
export async function acceptMessage(
  s: Services,
  reg: Registry,
  env: MessageEnvelope,
  runLater: (work: () => Promise<void>) => void,
): Promise<boolean> {
  const fresh = await recordEvent(s.acks ?? s.db, {
    eventId: env.header.event_id,
    messageId: env.event.message.message_id,
    kind: env.header.event_type,
    payload: env,
    now: s.clock.now(),
    // Recorded in one statement with the other events of this turn (src/events/inbox.ts).
    together: true,
  });
  if (!fresh) return false;
  runLater(() => processMessage(s, reg, env));
  return true;
}

/**
 * Runs a recorded message and marks its inbox row. A failure is marked failed, so one poisonous payload is not
 * re-run at every start-up or sweep.
 */
async function processMessage(s: Services, reg: Registry, env: MessageEnvelope): Promise<void> {
  try {
    const m = env.event.message;
    if (m.message_type === "file") {
      // A plan sent for import is downloaded from Lark: no transaction may be open during a network call.
      await runMessage(s, reg, env);
      await markEvent(s.db, env.header.event_id, "done");
      return;
    }
    // Whether a group takes only-you cards is looked up (and cached) before the transaction, for the same reason.
    if (m.chat_type !== "p2p" && s.transaction) await chatKind(s, m.chat_id);
    const read = readText(reg, m);
    if (s.transaction && onlyReads(reg, env, read)) {
      await readThenAnswer(s, env.event.sender.sender_id.open_id, env.header.event_id, (rs) => runMessage(rs, reg, env, read), { kind: "message", env });
      return;
    }
    // The command's writes, its answer in the outbox and the done mark commit together: one fsync instead of three,
    // and a crash in between leaves the event 'received', to be run again whole at start-up.
    await inEventTransaction(s, env.event.sender.sender_id.open_id, async (tx) => {
      await runMessage(tx, reg, env, read);
      await markEvent(tx.db, env.header.event_id, "done");
    });
  } catch (err) {
    s.log.error("event processing failed", { eventId: env.header.event_id, ...errorLogFields(err) });
    await markEvent(s.db, env.header.event_id, "failed", describeLarkError(larkErrorFields(err)));
  }
}

/**
 * Events answered 200 before the process died but never finished (their rows still say 'received'): run them now.
 * Card callbacks keep no payload (Lark does not retry them; a user's retry runs the handler again), so they are
 * only marked failed here.
 */
export async function resumeUnfinished(s: Services, reg: Registry, runLater: (work: () => Promise<void>) => void, olderThan: Date): Promise<number> {
  let resumed = 0;
  for (const row of await unfinishedEvents(s.db, olderThan)) {
    const payload = JSON.parse(row.payload ?? "null") as unknown;
    const menu = parseMenuEnvelope(payload);
    if (menu.success) {
      runLater(async () => {
        await runMenu(s, reg, menu.data).catch((err) => s.log.error("menu command failed", { ...errorLogFields(err) }));
        await markEvent(s.db, menu.data.header.event_id, "done");
      });
      resumed++;
      continue;
    }
    const env = parseMessageEnvelope(payload);
    if (!env.success) {
      await markEvent(s.db, row.key.replace(/^event:/, ""), "failed", "no replayable payload");
      continue;
    }
    runLater(() => processMessage(s, reg, env.data));
    resumed++;
  }
  return resumed;
}

/**
 * Card callbacks must be answered within 3 s and are not retried: the handler's answer is the HTTP response.
 * A repeated delivery of the same event is not run twice.
 */
export async function runCardAction(
  s: Services,
  reg: Registry,
  body: z.infer<typeof cardEventSchema>,
  budgetMs = 2500,
  /** Called once the handler has finished (also when that is after the answer): frees its admission slot. */
  settled?: () => void,
): Promise<CardActionResponse> {
  // The budget covers the de-duplication write too: under load even that can wait.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stillWorking: CardActionResponse = { toast: { type: "info", content: CARD_STILL_WORKING } };
  const late = new Promise<CardActionResponse>((resolve) => {
    timer = setTimeout(() => resolve(stillWorking), budgetMs);
  });
  // The de-duplication row, the handler's writes and the done mark commit together (one fsync). A failure rolls
  // everything back and is recorded on its own afterwards.
  const work = inEventTransaction(s, body.event.operator.open_id, (tx) => handleCardAction(tx, reg, body, Boolean(s.transaction))).catch(async (err: unknown): Promise<CardActionResponse> => {
    if (!(err instanceof CardActionFailed)) throw err;
    await recordEvent(s.db, { eventId: body.header.event_id, kind: body.header.event_type, payload: null, now: s.clock.now() });
    await markEvent(s.db, body.header.event_id, "failed", err.message);
    return FAILED_TOAST;
  });
  if (settled) void work.then(settled, settled);
  const res = await Promise.race([work, late]);
  clearTimeout(timer);
  if (res === stillWorking) {
    // The answer has gone out without the result: deliver it afterwards, as the delayed-update page prescribes.
    const actionName = String(body.event.action.value["action"] ?? "");
    void work.then((r) => deliverLateResult(s, body, r)).catch((err) => s.log.error("late card result lost", { action: actionName, ...errorLogFields(err) }));
  }
  return res;
}

/** A handler's unexpected error inside the event's transaction: thrown to roll it back. */
class CardActionFailed extends Error {}
const FAILED_TOAST: CardActionResponse = { toast: { type: "error", content: "处理时出错了，已记录，请稍后重试" } };

async function handleCardAction(s: Services, reg: Registry, body: z.infer<typeof cardEventSchema>, inTransaction: boolean): Promise<CardActionResponse> {
  const e = body.event;
  // In a transaction the row commits with the handler's writes or not at all, so it is stored finished at once.
  const fresh = await recordEvent(s.db, { eventId: body.header.event_id, kind: body.header.event_type, payload: null, now: s.clock.now(), status: inTransaction ? "done" : "received" });
  const markDone = () => (inTransaction ? Promise.resolve() : markEvent(s.db, body.header.event_id, "done"));
  if (!fresh) {
    // A retry of a callback whose first delivery never finished (the process died) runs again: card handlers are
    // idempotent (reports carry a request key), so finishing it cannot store anything twice.
    const prior = await s.db.selectFrom("processed_events").select("status").where("key", "=", `event:${body.header.event_id}`).executeTakeFirst();
    if (prior?.status === "done" || prior?.status === "duplicate") return { toast: { type: "info", content: "已处理过该操作" } };
  }
  const actionName = String(e.action.value["action"] ?? "");
  const def = reg.cardActions.find((a) => a.action === actionName);
  if (!def) {
    await markDone();
    return { toast: { type: "error", content: "该按钮已失效，请重新发送命令获取新卡片" } };
  }
  return def
    .handle({
      ...s,
      action: {
        eventId: body.header.event_id,
        operatorOpenId: e.operator.open_id,
        chatId: e.context?.open_chat_id ?? null,
        messageId: e.context?.open_message_id ?? null,
        token: e.token ?? null,
        value: e.action.value,
        formValue: e.action.form_value,
      },
    })
    .then(
      async (r) => {
        await markDone();
        return r;
      },
      async (err): Promise<CardActionResponse> => {
        if (isDubanError(err)) {
          await markDone();
          return { toast: { type: "error", content: err.userText } };
        }
        s.log.error("card action failed", { action: actionName, ...errorLogFields(err), stack: (err as Error).stack });
        // In a transaction: roll the handler's partial writes back; the failure is recorded after the rollback.
        if (inTransaction) throw new CardActionFailed(describeLarkError(larkErrorFields(err)));
        await markEvent(s.db, body.header.event_id, "failed", describeLarkError(larkErrorFields(err)));
        return FAILED_TOAST;
      },
    );
}

/**
 * A handler that finished after the callback was answered: a replacement card goes out through the callback's token
 * (POST /interactive/v1/card/update, valid 30 min, 2 uses, only after the answer); a toast-only result, which the
 * user can no longer see, comes as a short private card instead.
 */
async function deliverLateResult(s: Services, body: z.infer<typeof cardEventSchema>, r: CardActionResponse): Promise<void> {
  const e = body.event;
  const to = { chatId: e.context?.open_chat_id ?? null, chatType: null, openId: e.operator.open_id, replyTo: null };
  if (r.card && e.token) {
    await s.messenger.updateByToken(e.token, r.card.data, { viewer: e.operator.open_id, ...(to.chatId ? { chatId: to.chatId } : {}) });
  } else if (r.card) {
    await sendPrivately(s, to, r.card.data, "direct");
  } else if (r.toast) {
    await sendPrivately(s, to, r.toast.type === "error" ? errorCard(esc(r.toast.content)) : noticeCard("已处理", esc(r.toast.content), "green"), "direct");
  }
}
