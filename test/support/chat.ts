/**
 * One conversation harness for the tests that talk to the real bot over HTTP: a user says a text or clicks a card
 * button exactly as Lark would deliver it (encrypted, signed), the bot's queued work and outbox run to the end, and
 * the test gets what the local open platform received. Tests on a fixed clock sign with that clock's time, since the
 * bot refuses stale timestamps.
 */
import { expect } from "vitest";
import type { Clock } from "../../src/clock.js";
import { renderCard } from "../../src/local/render.js";
import { lintCard } from "./card-lint.js";
import { cardEvent, messageEvent, signedRequest, type startTestServer } from "./events.js";
import type { OpenPlatform, Recorded } from "./open-platform.js";

type Bot = Awaited<ReturnType<typeof startTestServer>>;

export interface CallbackAnswer {
  toast?: { type: string; content: string };
  card?: { type?: string; data: any };
}

/** The card a send carried (interactive message content or an ephemeral card). */
export const cardOf = (r: Recorded): any => (r.body.card ? r.body.card : JSON.parse(r.body.content));
/** The card as the terminal chat shows it: what an official reads. */
export const textOf = (r: Recorded): string => renderCard(cardOf(r));

export function chatWith(getBot: () => Bot, getLark: () => OpenPlatform, o: { clock?: Clock; lint?: boolean } = {}) {
  const sign = (envelope: unknown) => signedRequest(envelope, o.clock ? { timestamp: Math.floor(o.clock.now().getTime() / 1000) } : {});
  /**
   * Delivers any event envelope as Lark would, lets the bot's queued work and outbox run to the end, and returns the
   * bot's HTTP answer with every send the open platform received meanwhile.
   */
  async function deliver<T = unknown>(envelope: unknown, label = ""): Promise<{ body: T; sent: Recorded[] }> {
    const before = getLark().sends().length;
    const res = await getBot().post(undefined, await sign(envelope));
    expect(res.status, label).toBe(200);
    const body = (await res.json()) as T;
    await getBot().idle();
    await getBot().worker!.kick();
    const sent = getLark().sends().slice(before);
    // Every card the bot sends must be one Feishu would accept.
    if (o.lint) for (const r of sent) if (r.body?.card || r.body?.msg_type === "interactive") expect(lintCard(cardOf(r)).problems, label).toEqual([]);
    return { body, sent };
  }
  /** Clicks a card button (or submits a form): the callback's immediate answer and every send the click caused. */
  const press = (openId: string, value: Record<string, unknown>, m: { chatId?: string; messageId?: string; formValue?: Record<string, unknown> } = {}) =>
    deliver<CallbackAnswer>(cardEvent({ openId, value, ...m }), JSON.stringify(value));
  return {
    deliver,
    press,
    /** Sends a text message and returns every send the open platform received in answer. */
    async say(openId: string, text: string, m: { group?: boolean; chatId?: string } = {}): Promise<Recorded[]> {
      return (await deliver(messageEvent({ text, openId, ...m }), text)).sent;
    },
    /** Clicks a card button (or submits a form) and returns the callback's immediate answer (toast and/or card). */
    async click(openId: string, value: Record<string, unknown>, m: { chatId?: string; messageId?: string; formValue?: Record<string, unknown> } = {}): Promise<CallbackAnswer> {
      return (await press(openId, value, m)).body;
    },
  };
}
