import type { Card } from "../../cards/types.js";

/**
 * Everything the bot says goes through a Messenger. The real one records each send in the outbox first and
 * delivers it through the Lark SDK with rate limiting and retries; local mode delivers to a local outbox only.
 * Methods resolve once the send is durably queued, not when Lark has it: handlers never wait on the network.
 */
export interface Messenger {
  reply(messageId: string, card: Card, opts?: SendOptions): Promise<void>;
  sendToChat(chatId: string, card: Card, opts?: SendOptions): Promise<void>;
  sendToUser(openId: string, card: Card, opts?: SendOptions): Promise<void>;
  /** Only-you card in a group chat (仅你可见). */
  ephemeral(chatId: string, openId: string, card: Card, opts?: SendOptions): Promise<void>;
  /** Replace a card the bot sent earlier (PATCH /im/v1/messages/:id). */
  patch(messageId: string, card: Card, opts?: SendOptions): Promise<void>;
  /** Delayed update with a card-callback token (valid 30 min, 2 uses); must be called after the callback answer. */
  updateByToken(token: string, card: Card, opts?: SendOptions): Promise<void>;
  /** A file message (the 台账 workbook): uploaded with im.file.create, then sent as msg_type "file" to a chat. */
  sendFile(chatId: string, file: OutgoingFile, opts?: SendOptions): Promise<void>;
  /**
   * Feishu's in-app urgent notification (加急) for a message the bot sends: `afterDedupeKey` names that send, whose
   * message id is only known once it is delivered, so the worker sends the urgent call after it, to `openIds`.
   * `target` is the send's chat or user, so both go through the same per-target queue in order. `card` is what the
   * local outbox shows in place of the notification.
   */
  urgentApp(target: string, afterDedupeKey: string, openIds: string[], card: Card, opts?: SendOptions): Promise<void>;
}

export interface OutgoingFile {
  /** The name officials see in the chat, e.g. 督办台账-全部方案-20261124.xlsx. */
  name: string;
  bytes: Uint8Array;
  /** Lark's upload type: xls covers .xls/.xlsx, doc .doc/.docx; anything else is "stream". */
  fileType: "xls" | "doc" | "pdf" | "stream";
}

/** Lark refuses uploads over 30 MB (im.file.create). */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;

export interface SendOptions {
  /** Makes the send happen at most once, e.g. `digest:<chat_id>:<2026-W48>`. */
  dedupeKey?: string;
  /** The user an answer is for (the sender of the command); kept with the send so local mode can show "their" card. */
  viewer?: string;
  /** The chat a reply or patch lands in, when the caller knows it: Lark's 5/s limit is per chat, not per message. */
  chatId?: string;
  /** A scheduled mass send (digest, reminder): delivered after every pending interactive answer. */
  bulk?: boolean;
  /** The supervision event (督办留痕) this send belongs to: its delivery result is appended to the record. */
  ledgerEventId?: number;
}

/** Files people send to the bot (plan files), fetched from the open platform when a handler needs them. */
export interface FileSource {
  /**
   * The bytes of a file message (GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=file).
   * Throws DubanError (text for the sender) when the file is larger than `maxBytes` or cannot be fetched.
   */
  download(messageId: string, fileKey: string, maxBytes: number): Promise<Uint8Array>;
}

/** Read-only look-ups on the open platform (not queued: the caller needs the answer). */
export interface Directory {
  /** The user's departments (open_department_id and name), or [] when unknown / not permitted. */
  userDepartments(openId: string): Promise<{ id: string; name: string }[]>;
  /** chat_mode and group_message_type of a chat (GET /im/v1/chats/:chat_id), or null when Lark cannot say. */
  chatInfo(chatId: string): Promise<ChatInfo | null>;
}

export interface ChatInfo {
  chatMode: string;
  groupMessageType: string | null;
}
