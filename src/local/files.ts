import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DubanError } from "../domain/errors.js";
import type { FileSource } from "../lark/messenger.js";

/** Where local mode keeps files "sent" with `npm run chat -- --file`: uploads/ beside the database. */
export const localUploadsDir = (databasePath: string) => join(dirname(databasePath === ":memory:" ? join(process.cwd(), "data", "x") : databasePath), "uploads");

/** Local mode's stand-in for the message resource API: the chat CLI stores the file under its file_key. */
export class LocalFiles implements FileSource {
  constructor(private readonly dir: string) {}

  async download(_messageId: string, fileKey: string, maxBytes: number): Promise<Uint8Array> {
    if (!/^[\w-]+$/.test(fileKey)) throw new DubanError("file_unavailable", "文件标识无效，请重新发送文件。");
    const path = join(this.dir, fileKey);
    const info = await stat(path).catch(() => null);
    if (!info) throw new DubanError("file_unavailable", "找不到这个文件，请重新发送。");
    if (info.size > maxBytes) throw new DubanError("file_too_large", `文件超过 ${Math.round(maxBytes / 1024 / 1024)} MB，无法导入。`);
    return new Uint8Array(await readFile(path));
  }
}
