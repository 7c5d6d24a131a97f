/**
 * Read + parse rate per input format: the same small plan as UTF-8 text, GBK text, .docx, .xlsx and .pdf
 * (test/fixtures/files), through parseFile as the CLI and the chat intake call it. Prints documents/s and each
 * format's cost relative to UTF-8 text; no asserts (a shared machine's absolute figures vary, the ratios less so).
 *   npx tsx bench/import-formats.ts        (ROUNDS=n to change the number of rounds, default 30)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseFile } from "../src/importer/index.js";

const FILES = "test/fixtures/files";
const formats: [string, string][] = [
  ["text (UTF-8)", "src/plan.txt"],
  ["text (GBK)", "plan-gbk.txt"],
  ["docx", "plan.docx"],
  ["xlsx", "plan.xlsx"],
  ["pdf", "plan.pdf"],
];
const rounds = Number(process.env["ROUNDS"] ?? 30);

const inputs = formats.map(([name, file]) => ({ name, bytes: new Uint8Array(readFileSync(join(FILES, file))) }));
// Warm-up: every format's library loaded and the parser compiled once, as in a long-running bot.
for (let r = 0; r < 3; r++) for (const { bytes } of inputs) await parseFile(bytes);
const rows: { name: string; bytes: number; msPerDoc: number }[] = [];
for (const { name, bytes } of inputs) {
  const t = performance.now();
  for (let r = 0; r < rounds; r++) await parseFile(bytes);
  rows.push({ name, bytes: bytes.length, msPerDoc: (performance.now() - t) / rounds });
}
const base = rows[0]!.msPerDoc;
console.log(`import formats bench: one small plan per format × ${rounds} rounds (read + parse, nothing stored)`);
for (const r of rows) {
  console.log(
    `  ${r.name.padEnd(13)} ${String(r.bytes).padStart(6)} B  ${(1000 / r.msPerDoc).toFixed(0).padStart(5)} documents/s  ` +
      `${r.msPerDoc.toFixed(2).padStart(7)} ms/document  ×${(r.msPerDoc / base).toFixed(1)} of UTF-8 text`,
  );
}
