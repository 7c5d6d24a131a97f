import { ImportError } from "../errors.js";
import { ACCEPTED } from "./limits.js";
import { listZip, type ZipEntryInfo } from "./zip.js";

/**
 * What a file is, from its bytes: officials forward files renamed, without extensions, or as "附件1" — and a PNG
 * named .txt must not be imported as a plan with a binary title. Anything that is not one of the accepted formats
 * becomes an ImportError that says what it looks like and what to send instead.
 */
export type Sniffed =
  | { format: "docx" | "xlsx"; entries: ZipEntryInfo[] }
  | { format: "pdf" }
  | { format: "text" };

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((x, k) => b[at + k] === x);
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, Math.min(to, b.length)));

const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

const IMAGES: [string, (b: Uint8Array) => boolean][] = [
  ["PNG", (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47])],
  ["JPEG", (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ["GIF", (b) => ascii(b, 0, 4) === "GIF8"],
  ["BMP", (b) => ascii(b, 0, 2) === "BM" && b.length > 26 && b[14]! >= 12 && b[15] === 0],
  ["TIFF", (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ["WebP", (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP"],
  ["HEIC", (b) => ascii(b, 4, 8) === "ftyp" && /^(heic|heix|mif1|msf1|avif)/.test(ascii(b, 8, 12))],
];

const OTHER_BINARIES: [string, (b: Uint8Array) => boolean][] = [
  ["gzip 压缩包", (b) => startsWith(b, [0x1f, 0x8b])],
  ["RAR 压缩包", (b) => ascii(b, 0, 4) === "Rar!"],
  ["7z 压缩包", (b) => startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])],
  ["可执行程序", (b) => (ascii(b, 0, 2) === "MZ" && b.subarray(0, 64).includes(0)) || startsWith(b, [0x7f, 0x45, 0x4c, 0x46])],
  ["视频或音频", (b) => ascii(b, 4, 8) === "ftyp" || ascii(b, 0, 3) === "ID3"],
];

export function sniff(bytes: Uint8Array): Sniffed {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return sniffZip(bytes);
  if (startsWith(bytes, OLE2)) throw ole2(bytes);
  // The PDF header may follow a little junk (some mail gateways prepend a line); the spec allows it in the first KB.
  if (ascii(bytes, 0, 1024).includes("%PDF-")) {
    if (!ascii(bytes, Math.max(0, bytes.length - 1024), bytes.length).includes("%%EOF")) {
      throw new ImportError("corrupt_file", `PDF 文件不完整（缺少文件结尾，可能下载中断）：请重新下载后再发送。${ACCEPTED}`);
    }
    return { format: "pdf" };
  }
  for (const [name, is] of IMAGES) {
    if (is(bytes)) {
      throw new ImportError(
        "unsupported_format",
        `这是一张图片（${name}），无法从中读取任务：请发送方案原文件；扫描件请先转成文字。${ACCEPTED}`,
      );
    }
  }
  for (const [name, is] of OTHER_BINARIES) {
    if (is(bytes)) throw new ImportError("unsupported_format", `这是${name}，不是方案文件。${ACCEPTED}`);
  }
  if (ascii(bytes, 0, 5) === "{\\rtf") {
    throw new ImportError("unsupported_format", `这是 RTF 文档：请用 Word 或 WPS 另存为 .docx 后再发送。${ACCEPTED}`);
  }
  return { format: "text" };
}

function sniffZip(bytes: Uint8Array): Sniffed {
  const entries = listZip(bytes);
  const names = new Set(entries.map((e) => e.name));
  if (entries.some((e) => e.encrypted)) {
    throw new ImportError("encrypted_file", `压缩包已加密（设置了密码），无法读取：请取消密码后再发送。${ACCEPTED}`);
  }
  const office = names.has("[Content_Types].xml");
  if (office && names.has("word/document.xml")) return { format: "docx", entries };
  if (office && names.has("xl/workbook.xml")) return { format: "xlsx", entries };
  if (office && [...names].some((n) => n.startsWith("ppt/"))) {
    throw new ImportError("unsupported_format", `这是演示文稿（.pptx），不支持导入：请发送方案的 Word、Excel 或 PDF 文件。${ACCEPTED}`);
  }
  if (names.has("mimetype") && [...names].some((n) => n === "content.xml")) {
    throw new ImportError("unsupported_format", `这是 OpenDocument 文件（.odt/.ods）：请另存为 .docx 或 .xlsx 后再发送。${ACCEPTED}`);
  }
  throw new ImportError("unsupported_format", `这是一个 zip 压缩包，不是 Word 或 Excel 文件：请解压后发送其中的方案文件。${ACCEPTED}`);
}

/**
 * OLE2 compound files: Word 97–2003 (.doc), Excel 97–2003 (.xls), and — the trap — a password-protected .docx or
 * .xlsx, which Office wraps in the same container. The stream names (UTF-16LE in the directory) tell them apart.
 */
function ole2(bytes: Uint8Array): ImportError {
  const has = (name: string) => indexOf(bytes, utf16le(name)) >= 0;
  if (has("EncryptedPackage") || has("EncryptionInfo")) {
    return new ImportError("encrypted_file", `文件设置了打开密码（已加密），无法读取：请在 Word/Excel/WPS 中取消密码后另存再发送。${ACCEPTED}`);
  }
  if (has("WordDocument")) {
    return new ImportError("unsupported_format", `这是旧版 Word 文档（.doc）：请用 Word 或 WPS 另存为 .docx 后再发送。${ACCEPTED}`);
  }
  if (has("Workbook") || has("Book")) {
    return new ImportError("unsupported_format", `这是旧版 Excel 表格（.xls）：请用 Excel 或 WPS 另存为 .xlsx 后再发送。${ACCEPTED}`);
  }
  return new ImportError("unsupported_format", `这是旧版 Office 文件（.doc/.xls/.ppt）：请另存为 .docx 或 .xlsx 后再发送。${ACCEPTED}`);
}

function utf16le(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let k = 0; k < s.length; k++) out[2 * k] = s.charCodeAt(k);
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let k = hay.indexOf(needle[0]!); k >= 0 && k <= hay.length - needle.length; k = hay.indexOf(needle[0]!, k + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[k + j] !== needle[j]) continue outer;
    return k;
  }
  return -1;
}
