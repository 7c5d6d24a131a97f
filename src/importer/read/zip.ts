import { ImportError } from "../errors.js";
import { ACCEPTED, LIMITS } from "./limits.js";

/**
 * The zip central directory, read by hand: it names the parts (which tells a .docx from an .xlsx from any other
 * zip) and declares every entry's sizes and encryption flag, so the caps in LIMITS apply before JSZip inflates
 * anything. A file cut off during download has no end-of-central-directory record and is reported as incomplete.
 */
export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  encrypted: boolean;
}

const EOCD = 0x06054b50;
const CDH = 0x02014b50;

const truncated = () =>
  new ImportError("corrupt_file", `文件不完整或已损坏（压缩包结构缺失，可能下载中断）：请重新下载或另存后再发送。${ACCEPTED}`);

export function listZip(bytes: Uint8Array): ZipEntryInfo[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The record is 22 bytes plus a comment of at most 65,535; scan back from the end for its signature.
  let eocd = -1;
  for (let k = bytes.length - 22; k >= 0 && k >= bytes.length - 22 - 0xffff; k--) {
    if (view.getUint32(k, true) === EOCD) {
      eocd = k;
      break;
    }
  }
  if (eocd < 0) throw truncated();
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    // Zip64: only for archives far past our input cap; an Office plan never needs it.
    throw new ImportError("unsupported_format", `压缩格式过大或不受支持（Zip64）。${ACCEPTED}`);
  }
  if (cdOffset + cdSize > eocd) throw truncated();
  if (count > LIMITS.maxEntries) throw new ImportError("unsupported_format", `压缩包内文件过多（${count} 个），不像是一份方案。${ACCEPTED}`);
  const entries: ZipEntryInfo[] = [];
  let p = cdOffset;
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== CDH) throw truncated();
    const flags = view.getUint16(p + 8, true);
    const compressedSize = view.getUint32(p + 20, true);
    const uncompressedSize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    if (localOffset + 30 + compressedSize > cdOffset) throw truncated();
    const name = new TextDecoder("utf-8").decode(bytes.subarray(p + 46, p + 46 + nameLen));
    const tooBig =
      uncompressedSize > LIMITS.maxEntryBytes ||
      (uncompressedSize > 1024 * 1024 && uncompressedSize > LIMITS.maxRatio * Math.max(1, compressedSize));
    total += uncompressedSize;
    if (tooBig || total > LIMITS.maxTotalBytes) {
      throw new ImportError("too_large", `文件解压后过大（“${name}”），疑似异常压缩包，已拒绝读取。${ACCEPTED}`);
    }
    entries.push({ name, compressedSize, uncompressedSize, encrypted: (flags & 1) === 1 });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
