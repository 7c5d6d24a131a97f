/** Import rate: parse + store all seed plans, repeated, into a fresh in-memory store each round. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixedClock } from "../src/clock.js";
import { parseDocument } from "../src/importer/parse.js";
import { importDocument, sha256Hex } from "../src/importer/store.js";
import { openSqlite } from "../src/store/sqlite.js";

const docs = readdirSync("seeds").filter((f) => f.endsWith(".txt")).map((f) => ({ f, text: readFileSync(join("seeds", f), "utf8") }));
const rounds = Number(process.env["ROUNDS"] ?? 20);
const clock = fixedClock("2026-11-24T00:00:00Z");

let t = performance.now();
for (let r = 0; r < rounds; r++) for (const d of docs) parseDocument(d.text);
const parseMs = performance.now() - t;

t = performance.now();
for (let r = 0; r < rounds; r++) {
  const { db, close } = openSqlite({ path: ":memory:", synchronous: "NORMAL" });
  for (const d of docs) await importDocument(db, parseDocument(d.text), { fileName: d.f, hash: await sha256Hex(d.text), clock });
  await close();
}
const importMs = performance.now() - t;
const n = rounds * docs.length;
console.log(`import bench: ${docs.length} seed plans × ${rounds} rounds`);
console.log(`  parse only:      ${(n / (parseMs / 1000)).toFixed(0)} documents/s (${(parseMs / n).toFixed(2)} ms/document)`);
console.log(`  parse + store:   ${(n / (importMs / 1000)).toFixed(0)} documents/s (${(importMs / n).toFixed(2)} ms/document; all five seeds in ${(importMs / rounds).toFixed(0)} ms)`);
