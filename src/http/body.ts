/**
 * Request-body guards that run before anything is trusted. Both are platform-neutral (Node and Workers).
 */

/** The body did not fit: reading stopped at the limit, the rest was never buffered. */
export class BodyTooLarge extends Error {
  override name = "BodyTooLarge";
}

/**
 * Reads a request body chunk by chunk and stops as soon as it passes `max` bytes. `arrayBuffer()` would buffer a
 * chunked upload of any size before a length could be checked; here at most `max` + one chunk is ever held.
 * The stream is not cancelled on overflow: on Node that destroys the socket before the 413 can be written, so the
 * caller answers and then closes the connection instead.
 */
export async function readBodyLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      reader.releaseLock();
      throw new BodyTooLarge(`body larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Lark's envelopes nest about 6 levels (event.action.form_value.…); 16 leaves room and stops pathological input. */
export const MAX_JSON_DEPTH = 16;

/**
 * True when the JSON text nests objects/arrays deeper than `max`. One linear pass that skips string contents
 * (escapes included), so it runs before JSON.parse and no later step ever walks a 15,000-deep value. A string is
 * skipped with indexOf to its next quote (native, not a character at a time: most of an event's bytes are ids in
 * strings); a quote after an odd run of backslashes is escaped, and the search goes on after it. Each backslash is
 * looked at once, so the pass stays linear.
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return false; // unterminated: JSON.parse refuses it
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

/** JSON.parse behind the depth guard; throws on malformed or too-deep text (the message says which). */
export function parseJsonBounded(text: string, max = MAX_JSON_DEPTH): unknown {
  if (jsonTooDeep(text, max)) throw new JsonTooDeep(`JSON nested deeper than ${max} levels`);
  return JSON.parse(text);
}

export class JsonTooDeep extends Error {
  override name = "JsonTooDeep";
}
