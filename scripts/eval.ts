/**
 * npm run eval [-- --verbose]: scores the importer against the hand-labelled gold with score.mjs, one line per
 * document and a TOTAL. The corpus is ../shared/eval when that checkout sits beside this one; a clone elsewhere
 * uses the copy in test/fixtures/eval, whose seed plans 000–004 are the files in seeds/ (the same fifteen documents).
 * The first line says which.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCli, runCli, type CliSpec, type OptionSpec } from "../src/cli/args.js";

const spec = {
  command: "npm run eval --",
  summary: "用人工标注的金标准给导入器打分 (score the importer on the evaluation corpus)",
  options: {
    verbose: { type: "boolean", help: "列出每个文档未匹配的措施、单位和指标" },
    corpus: { type: "string", arg: "<目录>", help: "评测语料目录（含 gold/ 和 docs/；默认 ../shared/eval，没有时用 test/fixtures/eval）" },
  },
  examples: ["npm run eval", "npm run eval -- --verbose", "npm run eval -- --corpus ../shared/eval"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

runCli(async () => {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  const shared = resolve("..", "shared", "eval");
  const corpus = parsed.values.corpus ?? (existsSync(join(shared, "gold")) ? shared : resolve("test", "fixtures", "eval"));
  if (!existsSync(join(corpus, "gold"))) throw new Error(`${corpus} 下没有 gold/ 目录 no gold/ in ${corpus}`);
  const gold = join(corpus, "gold");
  const tmp = mkdtempSync(join(tmpdir(), "duban-eval-"));
  try {
    // One folder with a document per gold file: the corpus's own, or the seed plan with the same number.
    const docs = join(tmp, "docs");
    const own = existsSync(join(corpus, "docs")) ? readdirSync(join(corpus, "docs")) : [];
    const seeds = readdirSync("seeds").filter((f) => /^\d{3}_/.test(f));
    let fromSeeds = 0;
    mkdirSync(docs);
    for (const g of readdirSync(gold).filter((f) => f.endsWith(".json"))) {
      const stem = g.replace(/\.json$/, "");
      const mine = own.find((n) => n.startsWith(`${stem}.`));
      const seed = mine ? undefined : seeds.find((f) => f.slice(0, 4) === stem.slice(0, 4));
      if (!mine && !seed) throw new Error(`没有 ${stem} 的文档 no document for ${stem}`);
      if (seed) fromSeeds++;
      symlinkSync(mine ? join(corpus, "docs", mine) : resolve("seeds", seed!), join(docs, mine ?? `${stem}.txt`));
    }
    console.log(`语料 corpus: ${corpus}${fromSeeds ? `（其中 ${fromSeeds} 份方案取自 seeds/）` : ""}`);
    const run = `${JSON.stringify(process.execPath)} --import tsx src/importer/cli.ts --dry-run --json {doc}`;
    const r = spawnSync(process.execPath, [resolve("test", "fixtures", "eval", "score.mjs"), "--dir", gold, "--docs", docs, "--run", run, ...(parsed.values.verbose ? ["--verbose"] : [])], { stdio: "inherit" });
    return r.status ?? 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
