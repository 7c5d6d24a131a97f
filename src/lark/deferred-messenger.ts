import type { Card } from "../../cards/types.js";
import type { Messenger, OutgoingFile, SendOptions } from "./messenger.js";

/**
 * A Messenger that only remembers what it was asked to send; `sendThrough` makes those sends later, in order, on
 * another messenger. A command that only reads runs with one (src/events/dispatch.ts), so its answers can be written
 * in one short transaction with the event's done mark after all its reading and card building is over.
 */
export class DeferredMessenger implements Messenger {
  readonly #sends: ((m: Messenger) => Promise<void>)[] = [];

  async #keep(send: (m: Messenger) => Promise<void>): Promise<void> {
    this.#sends.push(send);
  }

  reply(messageId: string, card: Card, o?: SendOptions) {
    return this.#keep((m) => m.reply(messageId, card, o));
  }
  sendToChat(chatId: string, card: Card, o?: SendOptions) {
    return this.#keep((m) => m.sendToChat(chatId, card, o));
  }
  sendToUser(openId: string, card: Card, o?: SendOptions) {
    return this.#keep((m) => m.sendToUser(openId, card, o));
  }
  ephemeral(chatId: string, openId: string, card: Card, o?: SendOptions) {
    return this.#keep((m) => m.ephemeral(chatId, openId, card, o));
  }
  patch(messageId: string, card: Card, o?: SendOptions) {
    return this.#keep((m) => m.patch(messageId, card, o));
  }
  updateByToken(token: string, card: Card, o?: SendOptions) {
    return this.#keep((m) => m.updateByToken(token, card, o));
  }
  sendFile(chatId: string, file: OutgoingFile, o?: SendOptions) {
    return this.#keep((m) => m.sendFile(chatId, file, o));
  }
  urgentApp(target: string, afterDedupeKey: string, openIds: string[], card: Card, o?: SendOptions) {
    return this.#keep((m) => m.urgentApp(target, afterDedupeKey, openIds, card, o));
  }

  /** Makes every kept send on `m`, in the order they were asked for. */
  async sendThrough(m: Messenger): Promise<void> {
    for (const send of this.#sends) await send(m);
  }
}
