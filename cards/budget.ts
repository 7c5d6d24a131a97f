import type { Written } from "./elements.js";
import type { Card } from "./types.js";

/**
 * Feishu's hard limits for one card (JSON 2.0 structure page; im-v1 message create, codes 230025 / 230099-11310):
 * at most 200 elements, where "element" means every object with a `tag`, `plain_text` texts included, and at most
 * 30 KB of card JSON.
 */
export const CARD_LIMITS = { elements: 200, bytes: 30 * 1024 } as const;

/**
 * What builders fill pages up to. Below the hard limits on purpose: the card travels as a JSON string inside the
 * request (quotes and non-ASCII escapes grow it), and a little room keeps a page valid if a label grows by a word.
 */
export const CARD_BUDGET = { elements: 180, bytes: 27 * 1024 } as const;

/** Keys whose values are data, not card components: a chart's VChart spec and a table's row objects. */
const DATA_KEYS = new Set(["chart_spec", "rows", "value", "form_value"]);

/** Counts elements the way Feishu does: every object carrying a string `tag`, at any depth, outside data blocks. */
export function countElements(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + countElements(x), 0);
  if (!node || typeof node !== "object") return 0;
  let n = typeof (node as { tag?: unknown }).tag === "string" ? 1 : 0;
  for (const k in node) if (!DATA_KEYS.has(k)) n += countElements((node as Record<string, unknown>)[k]);
  return n;
}

/** UTF-8 bytes of the card JSON, as sent. */
export function cardBytes(card: unknown): number {
  return utf8Length(JSON.stringify(card));
}

/** Node's (and Workers' nodejs_compat) native byte count, which neither allocates nor walks the string in JS. */
const nativeByteLength = (globalThis as { Buffer?: { byteLength(s: string, encoding: "utf8"): number } }).Buffer?.byteLength;

/**
 * UTF-8 length of a string without encoding it (encoding allocated a buffer per measurement, a third of the cost of
 * cutting a /我的任务 card into pages). Natively where the runtime offers it: about three times faster than the loop
 * on a card row. JSON.stringify escapes lone surrogates, so a surrogate here is one of a pair.
 */
export function utf8Length(s: string): number {
  if (nativeByteLength) return nativeByteLength(s, "utf8");
  return utf8LengthByLoop(s);
}

export function utf8LengthByLoop(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A pair: two UTF-16 units, four bytes.
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

export interface CardSize {
  elements: number;
  bytes: number;
}

export function cardSize(card: Card): CardSize {
  return { elements: countElements(card), bytes: cardBytes(card) };
}

/** Sizes of cards that share element objects, and the JSON of such a card put together from what was measured. */
export interface CardMeasurer {
  (card: Card): CardSize;
  /** JSON.stringify(card), with the JSON of every element and of the card around them reused from measuring. */
  json(card: Card): string;
  /** An element whose JSON and count its builder wrote out (cards/elements.ts Written), measured without serialising. */
  know(written: Written): object;
}

interface Measured extends CardSize {
  json: string;
}

/**
 * Measures cards that are built from the same element objects again and again (the pages a cut tries): each
 * top-level element is serialised once and remembered by identity, so measuring another page costs only what is new
 * in it (header, section titles, navigation), not the serialisation of every block again; and the page finally sent
 * is put together from those texts (`json`) instead of being serialised whole once more. Exact: an array's JSON is
 * its elements' JSON joined by commas. The card around the elements is remembered by its header object in the same
 * way. Nothing measured may change afterwards, so a measurer lives for one cut and the pages it renders.
 */
export function cardMeasurer(): CardMeasurer {
  const known = new WeakMap<object, Measured>();
  // The card around the elements, by the identity of its header: a builder that reuses its header and config objects
  // for every page it builds has them measured once too.
  const shells = new WeakMap<object, { card: Card; size: Measured }>();
  const shellOf = (card: Card): Measured => {
    const header = card.header;
    const seen = header ? shells.get(header) : undefined;
    if (seen && sameShell(seen.card, card)) return seen.size;
    const empty = { ...card, body: { ...card.body, elements: [] } };
    const json = JSON.stringify(empty);
    const size = { elements: countElements(empty), bytes: utf8Length(json), json };
    if (header) shells.set(header, { card, size });
    return size;
  };
  const elementOf = (element: unknown): Measured => {
    if (typeof element !== "object" || element === null) return elementSize(element);
    let size = known.get(element);
    if (!size) {
      size = elementSize(element);
      known.set(element, size);
    }
    return size;
  };
  const measure = (card: Card): CardSize => {
    const elements = card.body.elements;
    const shell = shellOf(card);
    let count = shell.elements;
    let bytes = shell.bytes + Math.max(0, elements.length - 1);
    for (const element of elements) {
      const size = elementOf(element);
      count += size.elements;
      bytes += size.bytes;
    }
    return { elements: count, bytes };
  };
  const json = (card: Card): string => {
    // The elements' place in the card's JSON is known when they are the last key of the last key: `…[]}}`.
    const keys = Object.keys(card);
    const bodyKeys = Object.keys(card.body);
    const shell = shellOf(card).json;
    if (keys[keys.length - 1] !== "body" || bodyKeys[bodyKeys.length - 1] !== "elements" || !shell.endsWith("[]}}")) return JSON.stringify(card);
    let out = shell.slice(0, -3);
    const elements = card.body.elements;
    for (let i = 0; i < elements.length; i++) out += (i === 0 ? "" : ",") + elementOf(elements[i]).json;
    return `${out}]}}`;
  };
  const know = ({ element, json, elements }: Written): object => {
    known.set(element, { elements, bytes: utf8Length(json), json });
    return element;
  };
  return Object.assign(measure, { json, know });
}

/** Cards that serialise the same but for their elements: the same keys in the same order with the same values. */
function sameShell(a: Card, b: Card): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i] || (k !== "body" && a[k] !== b[k]))) return false;
  const ba = Object.keys(a.body);
  const bb = Object.keys(b.body);
  return ba.length === bb.length && ba.every((k, i) => k === bb[i] && (k === "elements" || a.body[k] === b.body[k]));
}

/** One element of an array, as JSON.stringify writes it there (undefined and functions as null). */
function elementSize(element: unknown): Measured {
  const json = JSON.stringify(element) ?? "null";
  return { elements: countElements(element), bytes: utf8Length(json), json };
}

export function fits(card: Card, budget: CardSize = CARD_BUDGET): boolean {
  return within(cardSize(card), budget);
}

const within = (s: CardSize, budget: CardSize) => s.elements <= budget.elements && s.bytes <= budget.bytes;

/**
 * Splits blocks into pages by budget: each page takes blocks while `build(page blocks)` still fits. `build` gets the
 * worst-case page furniture (both navigation buttons), so a page that fits here also fits when rendered. A block that
 * does not fit on a page of its own is passed to `shrink` (fewer rows, shorter text) until it does.
 *
 * Building and measuring the growing page once per block made a unit's 我的任务 cost O(blocks²) card builds (14 ms of
 * a 16 ms command on the city store). Instead each block's own size is measured once (a page with it alone, less the
 * empty page) and a block is taken without building the page while the sum stays within the budget; only near the
 * budget is the real page built. A page whose size was last summed, not measured, is checked as built at the end, and
 * if one does not fit (a builder whose sizes do not add up) the pages are cut the exact way, so the result is always
 * what the exact way gives. A builder that puts the same element objects on every page it builds (a block's rows
 * built once) has each of them serialised once for the whole cut (cardMeasurer).
 */
export function paginateByBudget<B>(
  blocks: B[],
  build: (page: B[]) => Card,
  shrink: (block: B) => B | null,
  budget: CardSize = CARD_BUDGET,
  measure: CardMeasurer = cardMeasurer(),
): B[][] {
  return paginateBySums(blocks, build, shrink, budget, measure) ?? paginateExactly(blocks, build, shrink, budget, measure);
}

function paginateBySums<B>(blocks: B[], build: (page: B[]) => Card, shrink: (block: B) => B | null, budget: CardSize, measure: CardMeasurer): B[][] | null {
  const empty = measure(build([]));
  const pages: B[][] = [];
  // Pages whose size is a sum of their blocks' own sizes, not measured as built: checked at the end.
  const summed = new Set<B[]>();
  let current: B[] = [];
  // Size of the current page: exact after a real build, an upper bound after blocks added by their own sizes.
  let size = empty;
  for (let block of blocks) {
    const alone = measure(build([block]));
    const sum = { elements: size.elements + alone.elements - empty.elements, bytes: size.bytes + alone.bytes - empty.bytes };
    if (within(sum, budget)) {
      current.push(block);
      size = sum;
      if (current.length > 1) summed.add(current);
      continue;
    }
    const real = measure(build([...current, block]));
    if (within(real, budget)) {
      current.push(block);
      size = real;
      summed.delete(current);
      continue;
    }
    if (current.length) pages.push(current);
    let own = alone;
    while (!within(own, budget)) {
      const smaller = shrink(block);
      if (smaller === null) break;
      block = smaller;
      own = measure(build([block]));
    }
    current = [block];
    size = own;
  }
  if (current.length || pages.length === 0) pages.push(current);
  // A page whose blocks' sizes did not add up as assumed: cut the exact way instead.
  for (const page of summed) if (!within(measure(build(page)), budget)) return null;
  return pages;
}

function paginateExactly<B>(blocks: B[], build: (page: B[]) => Card, shrink: (block: B) => B | null, budget: CardSize, measure: CardMeasurer): B[][] {
  const fitsPage = (card: Card) => within(measure(card), budget);
  const pages: B[][] = [];
  let current: B[] = [];
  for (let block of blocks) {
    if (fitsPage(build([...current, block]))) {
      current.push(block);
      continue;
    }
    if (current.length) pages.push(current);
    current = [];
    while (!fitsPage(build([block]))) {
      const smaller = shrink(block);
      if (smaller === null) break;
      block = smaller;
    }
    current.push(block);
  }
  if (current.length || pages.length === 0) pages.push(current);
  return pages;
}
