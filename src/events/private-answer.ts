import { md } from "../../cards/elements.js";
import type { Card } from "../../cards/types.js";
import type { Services } from "./types.js";

/** How long a cached chat mode is trusted: owners rarely switch a group between chat and topic mode. */
const CHAT_INFO_TTL_MS = 7 * 24 * 3600_000;

export type ChatKind = "p2p" | "group" | "topic";

/**
 * What kind of chat this is for answering privately. "topic" covers topic groups (chat_mode "topic") and groups whose
 * messages are topics (group_message_type "thread"): the ephemeral (only-you) API refuses both (Lark code 18053).
 * Looked up once per chat and cached in chat_info; when Lark cannot say, the chat counts as an ordinary group.
 */
export async function chatKind(s: Services, chatId: string): Promise<ChatKind> {
  const now = s.clock.now();
  const cached = await s.db.selectFrom("chat_info").selectAll().where("chat_id", "=", chatId).executeTakeFirst();
  if (cached && now.getTime() - Date.parse(cached.fetched_at) < CHAT_INFO_TTL_MS) return kindOf(cached.chat_mode, cached.group_message_type);
  const info = await s.directory.chatInfo(chatId);
  if (!info) return cached ? kindOf(cached.chat_mode, cached.group_message_type) : "group";
  await rememberChatInfo(s, chatId, info.chatMode, info.groupMessageType);
  return kindOf(info.chatMode, info.groupMessageType);
}

export async function rememberChatInfo(s: Pick<Services, "db" | "clock">, chatId: string, chatMode: string, groupMessageType: string | null): Promise<void> {
  const row = { chat_id: chatId, chat_mode: chatMode, group_message_type: groupMessageType, fetched_at: s.clock.now().toISOString() };
  await s.db.insertInto("chat_info").values(row).onConflict((oc) => oc.column("chat_id").doUpdateSet(row)).execute();
}

const kindOf = (mode: string, messageType: string | null): ChatKind =>
  mode === "p2p" ? "p2p" : mode === "topic" || messageType === "thread" ? "topic" : "group";

/** The card with a line on top that @-mentions the user it is for: used where an only-you card cannot be sent. */
export function addressedTo(openId: string, card: Card, note: string): Card {
  return { ...card, body: { ...card.body, elements: [md(`<at id="${openId}"></at> ${note}`), ...card.body.elements] } };
}

export interface PrivateTarget {
  chatId: string | null;
  /** "p2p" when known to be a one-to-one chat with the bot. */
  chatType: "p2p" | "group" | null;
  openId: string;
  /** The message to answer in the chat (the command, or the clicked card), when there is one. */
  replyTo: string | null;
}

/**
 * Sends a card only `openId` should see. In an ordinary group that is an ephemeral card; in a one-to-one chat a
 * reply; in a topic group, where the ephemeral API refuses, `topic` decides: "mention" replies in the chat with an
 * @-mention (a command's answer, which the user waits for there), "direct" sends it to the user's chat with the bot
 * (a click on a shared card, whose point is that the others' card stays as it was).
 */
export async function sendPrivately(s: Services, to: PrivateTarget, card: Card, topic: "mention" | "direct"): Promise<void> {
  const opts = { viewer: to.openId, ...(to.chatId ? { chatId: to.chatId } : {}) };
  const kind = !to.chatId || to.chatType === "p2p" ? "p2p" : await chatKind(s, to.chatId);
  if (kind === "p2p") {
    await (to.replyTo ? s.messenger.reply(to.replyTo, card, opts) : s.messenger.sendToUser(to.openId, card, opts));
    return;
  }
  if (kind === "group") {
    await s.messenger.ephemeral(to.chatId!, to.openId, card, opts);
    return;
  }
  if (topic === "direct" || !to.replyTo) {
    await s.messenger.sendToUser(to.openId, card, { viewer: to.openId });
    return;
  }
  await s.messenger.reply(to.replyTo, addressedTo(to.openId, card, "（话题群不支持仅你可见的消息，本条回复群成员都能看到）"), opts);
}

/**
 * "公开" (or "public") as a word of its own in a command's arguments: the answer goes to the whole group. Without it
 * an answer in a group is private, so nothing a unit or the supervising office reads lands in a chat by accident.
 */
export function splitPublic(args: string): { pub: boolean; rest: string } {
  const words = args.split(" ").filter(Boolean);
  const rest = words.filter((w) => !/^(公开|public)$/i.test(w));
  return { pub: rest.length < words.length, rest: rest.join(" ") };
}
