import type { Card } from "./types.js";

/**
 * Cards whose JSON is already known, so sending one does not serialise it whole again: a card that crossed from a read
 * worker as JSON text (src/events/read-elsewhere.ts) is stored in the outbox as that text, and a /我的任务 page is
 * put together from the JSON its rows were written out as while the pages were cut (cards/budget.ts cardMeasurer).
 * (Keeping JSON from generic serialisation alive for the cut cost about what it saved; rows written out by hand,
 * cards/elements.ts Written, cost a third of serialising them, so their text is worth reusing.)
 *
 * The JSON must stay what the card says. The card, its body and its element list are frozen here, so a later change
 * to them throws instead of being sent stale; the element objects themselves are the page builder's, which already
 * shares them between the pages it builds and never changes them.
 */
const known = new WeakMap<Card, string>();

export function withKnownJson(card: Card, json: string): Card {
  Object.freeze(card.body.elements);
  Object.freeze(card.body);
  Object.freeze(card);
  known.set(card, json);
  return card;
}

/** The card as JSON.stringify writes it. */
export function cardJson(card: Card): string {
  return known.get(card) ?? JSON.stringify(card);
}
