import type { Card } from "./types.js";

/**
 * Cards whose JSON is already known, so sending one does not serialise it whole again: a /我的任务 page is put
 * together from the JSON of elements measured while cutting the pages (cards/budget.ts cardMeasurer.json).
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
