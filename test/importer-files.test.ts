import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import { parseFile, type ImportError } from "../src/importer/index.js";
import { openSqlite } from "../src/store/sqlite.js";

const run = promisify(execFile);
const FILES = "test/fixtures/files";
const file = (name: string) => new Uint8Array(readFileSync(join(FILES, name)));

async function refusal(bytes: Uint8Array): Promise<ImportError> {
  try {
    await parseFile(bytes);
  } catch (e) {
    return e as ImportError;
  }
  throw new Error("expected the file to be refused");
}

const summary = (p: Awaited<ReturnType<typeof parseFile>>) => ({
  title: p.title,
  tasks: p.tasks.map((t) => ({ text: t.text, units: t.units, lead: t.lead, indicators: t.indicators.map((i) => [i.target, i.unit]) })),
});

describe("importer: text files in every encoding officials send", async () => {
  const reference = summary(await parseFile(file("src/plan.txt")));

  it.each([
    ["plan-gbk.txt", "gb18030"],
    ["plan-utf8-bom.txt", "utf-8"],
    ["plan-utf16le.txt", "utf-16le"],
    ["plan-utf16be.txt", "utf-16be"],
  ])("reads %s (%s) as the same plan as the UTF-8 original", async (name) => {
    expect(reference.tasks.length).toBeGreaterThan(0);
    const p = await parseFile(file(name), { fileName: name });
    expect(summary(p)).toEqual(reference);
  });

  it("reads a table typed with full-width pipes (｜) exactly as the same table with ASCII pipes", async () => {
    const bytes = file("plan-fullwidth-pipes.txt");
    const p = await parseFile(bytes, { fileName: "plan-fullwidth-pipes.txt" });
    const ascii = await parseFile(new TextEncoder().encode(new TextDecoder().decode(bytes).replace(/｜/g, "|")));
    expect(p.tasks).toEqual(ascii.tasks);
    expect(p.tasks.map((t) => [t.code, t.section, t.lead.join("、"), t.support.join("、"), t.deadline_text])).toEqual([
      ["1", "强化基层网底", "县卫健局", "县发改局、各乡镇人民政府", "2025年12月底"],
      ["2", "强化基层网底", "县卫健局", "县医保局", "2025年10月"],
      // Its 配合单位 cell is empty beside its own lead unit: no supporting unit, not the row above's.
      ["3", "提升服务能力", "县卫健局", "", "2025年6月底前"],
      ["4", "提升服务能力", "县数据局", "县卫健局", "2025年12月底"],
    ]);
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.unit])).toEqual([[8, "所"], [90, "%"]]);
  });

  it("says when it had to guess GBK", async () => {
    const p = await parseFile(file("plan-gbk.txt"));
    expect(p.warnings.some((w) => w.includes("GBK"))).toBe(true);
  });
});

describe("importer: files that are not a readable plan are refused with a reason", () => {
  it.each([
    ["empty.txt", "empty_file", "空"],
    ["photo.png", "unsupported_format", "图片"],
    ["archive.zip", "unsupported_format", "压缩包"],
    ["truncated.docx", "corrupt_file", "不完整"],
    ["encrypted.xlsx", "encrypted_file", "密码"],
    ["old.doc", "unsupported_format", ".doc"],
  ])("%s → %s", async (name, code, words) => {
    const e = await refusal(file(name));
    expect(e.code).toBe(code);
    expect(e.userText).toContain(words);
    // Every refusal tells the admin what would be accepted.
    expect(e.userText).toContain(".docx");
  });

  it("sniffs by content: a PNG renamed to .txt is still a picture", async () => {
    await expect(parseFile(file("photo.png"), { fileName: "方案.txt" })).rejects.toMatchObject({ code: "unsupported_format" });
  });

  it("refuses a file over 20 MB before reading it", async () => {
    const big = new Uint8Array(20 * 1024 * 1024 + 1).fill(0x20);
    expect((await refusal(big)).code).toBe("too_large");
  });

  it("refuses a zip whose entry declares a bomb-sized inflation, from the directory alone", async () => {
    const zip = new JSZip();
    zip.file("[Content_Types].xml", "<Types/>");
    zip.file("word/document.xml", "<w:document/>");
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    // Patch the central directory's uncompressed size of word/document.xml to 1 GB: nothing was inflated to find it.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const name = new TextEncoder().encode("word/document.xml");
    for (let k = 0; k + 46 < bytes.length; k++) {
      if (view.getUint32(k, true) === 0x02014b50 && bytes.subarray(k + 46, k + 46 + name.length).every((b, j) => b === name[j])) {
        view.setUint32(k + 24, 1 << 30, true);
      }
    }
    const e = await refusal(bytes);
    expect(e.code).toBe("too_large");
  });

  it("refuses arbitrary binary data that has no known signature", async () => {
    const bytes = new Uint8Array(4096).map((_, k) => (k * 7919) % 251);
    expect((await refusal(bytes)).code).toBe("unsupported_format");
  });

  it("the import CLI exits non-zero, says why in Chinese for each file, and stores nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-import-"));
    const db = join(dir, "store.sqlite");
    const bad = ["empty.txt", "photo.png", "archive.zip", "truncated.docx", "encrypted.xlsx", "old.doc", "scanned.pdf"];
    const r = await run(process.execPath, ["--import", "tsx", "src/importer/cli.ts", ...bad.map((f) => join(FILES, f))], {
      env: { ...process.env, DATABASE_PATH: db },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).not.toBe(0);
    for (const f of bad) expect(r.stderr).toContain(`无法导入 ${f}`);
    const { db: k, close } = openSqlite({ path: db });
    const plans = await k.selectFrom("plans").select("id").execute();
    const tasks = await k.selectFrom("tasks").select("id").execute();
    await close();
    expect([plans.length, tasks.length]).toEqual([0, 0]);
  });
});
