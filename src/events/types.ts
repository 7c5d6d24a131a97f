import type { Kysely } from "kysely";
import type { Card, CardActionResponse } from "../../cards/types.js";
import type { Clock } from "../clock.js";
import type { Database } from "../store/schema.js";
import type { Directory, FileSource, Messenger } from "../lark/messenger.js";
import type { ParsedPlan } from "../importer/types.js";
import type { LoopSettings } from "../supervision/cuiban.js";
import type { Actor } from "../domain/actors.js";
import type { KeptAnswers, ReadJob } from "./read-elsewhere.js";

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What every handler gets: the store, the clock, and the edges. Built once per process (or per Worker request). */
export interface Services {
  db: Kysely<Database>;
  /**
   * Where an event's inbox row is written before its ack: on SQLite it takes the connection ahead of the statements
   * waiting for it through `db` (src/store/group-commit.ts, ConnectionTurns). Absent: `db`.
   */
  acks?: Kysely<Database>;
  clock: Clock;
  messenger: Messenger;
  directory: Directory;
  /** Downloads files sent to the bot; absent where the deployment cannot (the plan intake then says so). */
  files?: FileSource;
  /**
   * Reads a plan file's bytes (the importer's readers, or a 台账 workbook sent back). A service rather than an
   * import so the Workers bundle, which receives no files, does not carry the PDF and Office readers.
   */
  readPlan?: (bytes: Uint8Array, fileName: string) => Promise<{ plan: ParsedPlan; source: "ledger" | "document" }>;
  log: Logger;
  /** open_ids that may approve bindings (ADMIN_OPEN_IDS), in addition to members with role admin. */
  adminOpenIds: readonly string[];
  /** 督办 loop settings (催办 interval, urgent threshold …); defaults apply to what is not set. */
  loop?: Partial<LoopSettings>;
  /**
   * Runs one event's work with services whose store writes, outbox rows and done mark commit together (one commit,
   * one fsync under synchronous=FULL — shared with the events committing at the same time — instead of one per
   * statement). On SQLite the events asking in one turn of the event loop share one transaction, a savepoint each, and
   * one commit (src/store/transactions-together.ts); a work that fails is rolled back alone. Where the store has
   * interactive transactions (SQLite, PostgreSQL); absent on D1, where every statement commits on its own.
   */
  transaction?: <T>(work: (s: Services) => Promise<T>) => Promise<T>;
  /**
   * Reads and builds a read-only command's answers on another thread (Node with a SQLite file: src/node/read-pool.ts),
   * resolving to them, or to null when it cannot (no thread free to start, the command needs the directory or a
   * write, the thread died or took too long): the command then runs here. Absent: always here.
   */
  readElsewhere?: (job: ReadJob) => Promise<KeptAnswers | null>;
  /**
   * The sender, resolved before the transaction began, so resolveActor inside it needs no directory call (a network
   * call while SQLite's only connection is held would stall every other event).
   */
  knownActor?: Actor;
}

/** A text message addressed to the bot, already stripped of the @mention placeholder. */
export interface IncomingMessage {
  messageId: string;
  chatId: string;
  chatType: "p2p" | "group";
  senderOpenId: string;
  text: string;
  /** Set for a file message (message_type "file"): the key to download it with and the name it was sent as. */
  file?: { key: string; name: string };
}

export interface CommandContext extends Services {
  message: IncomingMessage;
  /** The command name as registered (canonical Chinese name). */
  command: string;
  /** Everything after the command word, trimmed. */
  args: string;
  /** Answer in the chat: a reply in p2p, a reply in group (use `replyPrivately` for only-you). */
  reply(card: Card): Promise<void>;
  /** In a group: an ephemeral card only the sender sees; in p2p: a normal reply. */
  replyPrivately(card: Card): Promise<void>;
}

export interface CommandDef {
  /** Canonical Chinese name without the slash, e.g. "我的任务". */
  name: string;
  /** Other accepted spellings without the slash, e.g. ["mytasks", "任务"]. */
  aliases?: readonly string[];
  /** One line for /帮助. */
  summary: string;
  /** Usage examples for /帮助, each a full command line. */
  examples?: readonly string[];
  /**
   * The command stores nothing (its answers aside): its reads and card building run outside the event's transaction,
   * so SQLite's only connection is free for other events' acks meanwhile, and its answers are written with the done
   * mark in one short transaction afterwards (src/events/dispatch.ts). A write it made anyway would commit on its own.
   */
  readOnly?: boolean;
  handle(ctx: CommandContext): Promise<void>;
}

/** im.chat.member.bot.added_v1: someone added the bot to a group. */
export interface BotAddedEvent {
  eventId: string;
  chatId: string;
  /** Who added it (absent when Lark leaves it out). */
  operatorOpenId: string | null;
}

export interface CardActionEvent {
  /** event_id of the callback (also the de-duplication key). */
  eventId: string;
  operatorOpenId: string;
  chatId: string | null;
  messageId: string | null;
  /** Delayed-update token (c-…). */
  token: string | null;
  /** The button's callback value; `action` names the handler. */
  value: Record<string, unknown>;
  formValue: Record<string, unknown>;
}

export interface CardActionContext extends Services {
  action: CardActionEvent;
}

export interface CardActionDef {
  /** Matches `value.action` of the clicked button. */
  action: string;
  /** Must answer quickly (< 3 s including the store): no network calls before returning. */
  handle(ctx: CardActionContext): Promise<CardActionResponse>;
}
