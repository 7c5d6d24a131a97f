import { ImportError } from "../errors.js";
import { ACCEPTED } from "./limits.js";

/**
 * Text bytes to a string, the encoding read from the bytes, never from the file name. Officials' text files come as
 * UTF-8 (with or without BOM), UTF-16 from Windows "Unicode" saves, and GBK/GB2312 from older tools; GB18030 is a
 * superset of both and Node's TextDecoder (full ICU) reads it. A byte stream that is valid UTF-8 is taken as UTF-8:
 * real GBK Chinese text almost never is.
 */
export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be" | "gb18030";

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
  /** Chinese notes for the admin (encoding guessed, characters that could not be read). */
  warnings: string[];
}

const notText = (what: string) =>
  new ImportError("unsupported_format", `无法作为文本读取：${what}。${ACCEPTED}`);

export function decodeText(bytes: Uint8Array): DecodedText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return lenient(bytes.subarray(3), "utf-8", []);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return lenient(bytes.subarray(2), "utf-16le", []);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return lenient(bytes.subarray(2), "utf-16be", []);
  const bomless = utf16WithoutBom(bytes);
  if (bomless) return lenient(bytes, bomless, ["文件没有字节顺序标记，已按 UTF-16 编码读取"]);
  if (bytes.includes(0)) throw notText("文件含有二进制数据（不是文字文件）");
  try {
    return checked({ text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), encoding: "utf-8", warnings: [] });
  } catch (e) {
    if (e instanceof ImportError) throw e;
  }
  try {
    const text = new TextDecoder("gb18030", { fatal: true }).decode(bytes);
    return checked({ text, encoding: "gb18030", warnings: ["文件不是 UTF-8 编码，已按 GBK/GB18030 编码读取"] });
  } catch (e) {
    if (e instanceof ImportError) throw e;
  }
  // Neither decodes cleanly: take whichever loses fewer characters, and say so.
  const utf8 = new TextDecoder("utf-8").decode(bytes);
  const gb = new TextDecoder("gb18030").decode(bytes);
  const bad = (s: string) => count(s, "\ufffd");
  return bad(gb) < bad(utf8) ? lenient(bytes, "gb18030", []) : lenient(bytes, "utf-8", []);
}

function lenient(bytes: Uint8Array, encoding: TextEncoding, warnings: string[]): DecodedText {
  const text = new TextDecoder(encoding).decode(bytes);
  const lost = count(text, "\ufffd");
  if (lost > 0) warnings.push(`有 ${lost} 个字符无法按 ${encoding.toUpperCase()} 编码识别，已以“�”代替`);
  return checked({ text, encoding, warnings });
}

/** Text with many replacement or control characters is a binary file that happened to decode. */
function checked(d: DecodedText): DecodedText {
  let control = 0;
  for (let k = 0; k < d.text.length; k++) {
    const c = d.text.charCodeAt(k);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd) control++;
  }
  if (d.text.length > 0 && control > Math.max(8, d.text.length * 0.02)) throw notText("文件内容不是可读的文字（可能是图片、压缩包或其他二进制文件）");
  return d;
}

/** UTF-16 saved without BOM: mostly-ASCII text has a zero in every other byte. */
function utf16WithoutBom(bytes: Uint8Array): TextEncoding | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 8) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let k = 0; k < n; k += 2) {
    if (bytes[k] === 0) evenZero++;
    if (bytes[k + 1] === 0) oddZero++;
  }
  const half = n / 2;
  if (oddZero > half * 0.4 && evenZero < half * 0.02) return "utf-16le";
  if (evenZero > half * 0.4 && oddZero < half * 0.02) return "utf-16be";
  return null;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let k = s.indexOf(ch); k >= 0; k = s.indexOf(ch, k + 1)) n++;
  return n;
}
