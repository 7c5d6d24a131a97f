import { cardJson, withKnownJson } from "../../cards/serialised.js";
import type { Card } from "../../cards/types.js";
import type { Messenger, OutgoingFile, SendOptions } from "../lark/messenger.js";
import type { MenuEnvelope, MessageEnvelope, Registry } from "./dispatch.js";
import { runMenu, runMessage } from "./dispatch.js";
import type { Logger, Services } from "./types.js";

/**
 * A read-only command's event, to be read and answered somewhere other than the thread that received it (a worker
 * thread on Node, src/node/read-pool.ts). `now` is the receiving thread's instant, so the answer is the one it would
 * have built. Plain data: it crosses to the worker by structured clone.
 */
export type ReadJob = ReadEvent & { now: string };
export type ReadEvent = { kind: "message"; env: MessageEnvelope } | { kind: "menu"; env: MenuEnvelope };

/** Answers to be written with the event's done mark (a DeferredMessenger, or sends recorded elsewhere). */
export interface KeptAnswers {
  sendThrough(m: Messenger): Promise<void>;
}

type SendMethod = keyof Messenger;
/** Where each send's card is among its arguments (-1: it has none). */
const CARD_AT: Record<SendMethod, number> = { reply: 1, sendToChat: 1, sendToUser: 1, ephemeral: 2, patch: 1, updateByToken: 1, sendFile: -1, urgentApp: 3 };

/**
 * One send as plain data. The card travels as its JSON text: one string crosses between threads as one copy, where a
 * card of a few hundred nested objects is cloned object by object, and the receiving thread's event loop pays for it.
 */
export interface RecordedSend {
  method: SendMethod;
  /** The arguments, the card's place left null. */
  args: unknown[];
  card: string | null;
}

/** A Messenger that records every send as plain data (RecordedSend), for the thread that writes them. */
export class RecordingMessenger implements Messenger {
  readonly sends: RecordedSend[] = [];

  #keep(method: SendMethod, args: unknown[]): Promise<void> {
    const at = CARD_AT[method];
    const card = at >= 0 ? cardJson(args[at] as Card) : null;
    if (at >= 0) args[at] = null;
    this.sends.push({ method, args, card });
    return Promise.resolve();
  }

  reply(messageId: string, card: Card, o?: SendOptions) {
    return this.#keep("reply", [messageId, card, o]);
  }
  sendToChat(chatId: string, card: Card, o?: SendOptions) {
    return this.#keep("sendToChat", [chatId, card, o]);
  }
  sendToUser(openId: string, card: Card, o?: SendOptions) {
    return this.#keep("sendToUser", [openId, card, o]);
  }
  ephemeral(chatId: string, openId: string, card: Card, o?: SendOptions) {
    return this.#keep("ephemeral", [chatId, openId, card, o]);
  }
  patch(messageId: string, card: Card, o?: SendOptions) {
    return this.#keep("patch", [messageId, card, o]);
  }
  updateByToken(token: string, card: Card, o?: SendOptions) {
    return this.#keep("updateByToken", [token, card, o]);
  }
  sendFile(chatId: string, file: OutgoingFile, o?: SendOptions) {
    return this.#keep("sendFile", [chatId, file, o]);
  }
  urgentApp(target: string, afterDedupeKey: string, openIds: string[], card: Card, o?: SendOptions) {
    return this.#keep("urgentApp", [target, afterDedupeKey, openIds, card, o]);
  }
}

/** Recorded sends as answers to write: each made on the given messenger, in the order recorded. */
export function recordedAnswers(sends: readonly RecordedSend[]): KeptAnswers {
  return {
    async sendThrough(m: Messenger) {
      for (const r of sends) {
        const args = [...r.args];
        const at = CARD_AT[r.method];
        // Registered with the text it came as, so the outbox splices that text in instead of serialising it again.
        if (at >= 0 && r.card !== null) args[at] = withKnownJson(JSON.parse(r.card) as Card, r.card);
        await (m[r.method] as (...a: unknown[]) => Promise<void>).apply(m, args);
      }
    },
  };
}

/** One log line recorded where the job ran, to be written by the receiving thread's logger. */
export interface RecordedLog {
  level: keyof Logger;
  msg: string;
  fields?: Record<string, unknown>;
}

export function recordingLogger(into: RecordedLog[]): Logger {
  const keep = (level: keyof Logger) => (msg: string, fields?: Record<string, unknown>) => void into.push({ level, msg, ...(fields ? { fields } : {}) });
  return { info: keep("info"), warn: keep("warn"), error: keep("error") };
}

/**
 * Runs a read-only command's event with services that record its answers instead of sending them (`s.messenger`
 * must be the RecordingMessenger whose sends the caller posts back). The same functions as in-process
 * (runMessage, runMenu), so the answer is the same card.
 */
export async function runReadJob(s: Services, reg: Registry, job: ReadJob): Promise<void> {
  if (job.kind === "message") await runMessage(s, reg, job.env);
  else await runMenu(s, reg, job.env);
}
