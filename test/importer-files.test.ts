import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import JSZip from "jszip";
import { sql } from "kysely";
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

  it("refuses a text file that holds only what a broken encoding leaves (\"??\") as a file without content", async () => {
    const e = await refusal(new TextEncoder().encode("??\n？？？\n"));
    expect(e.code).toBe("empty_file");
    expect(e.userText).toContain("没有可读的文字内容");
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

  it("the import CLI names the file a database failure stopped, stores nothing of it, and goes on with the next", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-import-fail-"));
    const db = join(dir, "store.sqlite");
    const { db: k, close } = openSqlite({ path: db });
    // A database that refuses the second measure of any plan: the failure comes half-way through the file.
    await sql`CREATE TRIGGER refuse_second_task BEFORE INSERT ON tasks WHEN (SELECT count(*) FROM tasks) >= 1
      BEGIN SELECT RAISE(ABORT, 'database refused the write'); END`.execute(k);
    await close();
    const first = "seeds/000_yuzhong-medical-service-system.txt";
    const r = await run(process.execPath, ["--import", "tsx", "src/importer/cli.ts", first, join(FILES, "empty.txt")], {
      env: { ...process.env, DATABASE_PATH: db },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("无法导入 000_yuzhong-medical-service-system.txt：导入时出错（database refused the write），这个文件的内容没有写入");
    // The next file was still read (and refused for its own reason).
    expect(r.stderr).toContain("无法导入 empty.txt");
    const after = openSqlite({ path: db });
    const counts = await Promise.all(["plans", "tasks", "units", "indicators"].map(async (t) => (await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(t)}`.execute(after.db)).rows[0]!.n));
    await after.close();
    expect(counts).toEqual([0, 0, 0, 0]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("the import CLI stores a file as a revision of the plan --revises names; an unknown or malformed number stores nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-revises-"));
    const db = join(dir, "store.sqlite");
    const env = { ...process.env, DATABASE_PATH: db };
    const cli = (...args: string[]) =>
      run(process.execPath, ["--import", "tsx", "src/importer/cli.ts", ...args], { env }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const original = "seeds/000_yuzhong-medical-service-system.txt";
    const revised = join(dir, "渝中工作措施（修订稿）.txt");
    writeFileSync(revised, readFileSync(original, "utf8").replace("》的工作措施\n", "》的工作措施（修订稿）\n").replaceAll("引进紧缺卫生专业技术人才200名", "引进紧缺卫生专业技术人才250名"));
    expect((await cli(original)).code).toBe(0);
    const state = async () => {
      const { db: k, close } = openSqlite({ path: db });
      const plans = await k.selectFrom("plans").select(["id", "title", "source_file"]).execute();
      const talent = await k.selectFrom("indicators").select("target").where("name", "=", "引进紧缺卫生专业技术人才数").execute();
      await close();
      return { plans, talent: talent.map((t) => t.target) };
    };
    const before = await state();
    expect(before.plans).toHaveLength(1);
    const id = before.plans[0]!.id;

    const malformed = await cli("--revises", "渝中", revised);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("--revises：方案编号应为数字，例如 6（现为“渝中”）");
    const unknown = await cli("--revises", "99", revised);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("--revises 99：没有编号为 99 的方案，未做任何修改");
    expect(await state()).toEqual(before);

    const ok = await cli("--revises", String(id), revised);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`已更新 updated（作为方案 ${id}《${before.plans[0]!.title}》的修订版`);
    // Without --revises the new title would have made a second plan; with it the plan keeps its title and number.
    expect(await state()).toEqual({ plans: [{ id, title: before.plans[0]!.title, source_file: "渝中工作措施（修订稿）.txt" }], talent: [250] });
    rmSync(dir, { recursive: true, force: true });
  });
});
