/** Lark's request signature and payload encryption, on WebCrypto so the same code runs on Node and Workers. */
const te = new TextEncoder();

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** lowercase hex SHA-256 of (timestamp + nonce + encryptKey) followed by the raw body bytes, as received. */
export async function larkSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", concat(te.encode(timestamp + nonce + encryptKey), rawBody)));
}

/** Compares without an early exit, so the time taken says nothing about how much of a forged signature matched. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = te.encode(a);
  const y = te.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

async function aesKey(encryptKey: string, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest("SHA-256", te.encode(encryptKey));
  return crypto.subtle.importKey("raw", raw, "AES-CBC", false, [usage]);
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** base64(iv ‖ AES-256-CBC(sha256(key), PKCS#7)) → plaintext. Throws on a wrong key or damaged data. */
export async function larkDecrypt(encryptKey: string, b64: string): Promise<string> {
  const buf = fromBase64(b64);
  if (buf.length < 32) throw new Error("encrypted payload too short");
  const plain = await crypto.subtle.decrypt({ name: "AES-CBC", iv: buf.slice(0, 16) }, await aesKey(encryptKey, "decrypt"), buf.slice(16));
  return new TextDecoder("utf-8", { fatal: true }).decode(plain);
}

/** The inverse, for tests and the local chat client that build events the way Lark does. */
export async function larkEncrypt(encryptKey: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const ct = await crypto.subtle.encrypt({ name: "AES-CBC", iv }, await aesKey(encryptKey, "encrypt"), te.encode(plaintext));
  return toBase64(concat(iv, new Uint8Array(ct)));
}
