import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import JSZip from "jszip";
import { check } from "recheck";
import ts from "typescript";
import { describe, expect, it, vi } from "vitest";
import { parseFile, type ImportError } from "../src/importer/index.js";
import { parseDocument } from "../src/importer/parse.js";
import { LIMITS } from "../src/importer/read/limits.js";

/**
 * An upload is untrusted text: one pattern that backtracks can hold a chat worker for minutes on a crafted line. So
 * every regular expression the importer uses is proved linear by a ReDoS checker (recheck: it searches for inputs on
 * which matching is super-linear, and gives the attack string when it finds one) — literals read from the source,
 * and patterns built at run time caught as they are constructed while the importer reads the evaluation corpus.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

interface Pattern {
  where: string;
  source: string;
  flags: string;
}

function literalPatterns(): Pattern[] {
  const out: Pattern[] = [];
  for (const file of sourceFiles("src/importer")) {
    const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node) => {
      if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = n.getText(sf);
        const end = text.lastIndexOf("/");
        const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
        out.push({ where: `${file}:${line + 1}`, source: text.slice(1, end), flags: text.slice(end + 1) });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** Patterns built with `new RegExp(...)`: caught by a stand-in constructor while the importer loads and reads real plans. */
async function constructedPatterns(): Promise<Pattern[]> {
  const seen: Pattern[] = [];
  const Real = globalThis.RegExp;
  globalThis.RegExp = new Proxy(Real, {
    construct(target, args: [string | RegExp, string?]) {
      const re = Reflect.construct(target, args) as RegExp;
      const where = new Error().stack?.split("\n").find((l) => l.includes("src/importer/"))?.trim() ?? "?";
      if (where !== "?") seen.push({ where, source: re.source, flags: re.flags });
      return re;
    },
  });
  try {
    vi.resetModules(); // so the importer's modules run their top level again, under the stand-in
    const { parseDocument } = await import("../src/importer/parse.js");
    for (const dir of ["seeds", "test/fixtures/eval/docs"]) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith(".txt"))) parseDocument(readFileSync(join(dir, f), "utf8"));
    }
  } finally {
    globalThis.RegExp = Real;
  }
  return seen;
}

describe("importer regular expressions run in linear time", () => {
  it("finds the importer's patterns (the scan itself works)", async () => {
    const literals = literalPatterns();
    expect(literals.length).toBeGreaterThan(150);
    expect(literals.some((p) => p.where.startsWith(join("src/importer", "units.ts")))).toBe(true);
    const built = await constructedPatterns();
    // The clause splitter, the numbered-heading patterns and the unit-label patterns are all built from parts.
    expect(new Set(built.map((p) => p.where.replace(/:\d+\)?$/, ""))).size).toBeGreaterThan(3);
  });

  it("no pattern, literal or built at run time, has an input on which it backtracks super-linearly", async () => {
    const all = [...literalPatterns(), ...(await constructedPatterns())];
    const unique = [...new Map(all.map((p) => [`/${p.source}/${p.flags}`, p])).values()];
    const failures: string[] = [];
    // One at a time: the checker's own budget is per pattern, and parallel checks on a loaded machine time out.
    for (const p of unique) {
      // The checker picks an exact automaton analysis where the pattern is small enough and a seeded fuzzer (same
      // verdict on every run) elsewhere; a fuzzer's finding is confirmed by the exact analysis, which is slower.
      let r = await check(p.source, p.flags, { timeout: 30_000, randomSeed: 1 });
      // A fuzzer that runs out of time on a loaded machine says "unknown": the exact analysis decides that too.
      if ((r.status === "vulnerable" && r.checker === "fuzz") || r.status === "unknown") {
        const exact = await check(p.source, p.flags, { checker: "automaton", timeout: 60_000 });
        if (exact.status === "safe") r = exact;
      }
      if (r.status !== "safe") failures.push(`${p.where} /${p.source}/${p.flags}: ${r.status} ${r.status === "vulnerable" ? `${r.complexity.summary}, e.g. ${r.attack.pattern}` : ""}`);
    }
    expect(failures).toEqual([]);
  }, 300_000);
});

async function refusal(bytes: Uint8Array): Promise<ImportError> {
  try {
    await parseFile(bytes);
  } catch (e) {
    return e as ImportError;
  }
  throw new Error("expected the file to be refused");
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const PLAN_HEAD = "某某县人民政府办公室\n2025年4月1日\n某某县卫生健康工作实施方案\n";
const MEASURE = "1. 建成胸痛中心2个。（责任单位：县卫健局）";

describe("importer inputs are capped before any pattern runs", () => {
  it("a line longer than the cap (a copy that lost its line breaks, a data dump) is refused in Chinese, saying which line", async () => {
    const long = "由1个提高到2个、".repeat(12_000);
    const e = await refusal(utf8(`${PLAN_HEAD}${MEASURE}\n${long}\n`));
    expect(e.code).toBe("too_large");
    expect(e.userText).toContain(`第 5 行过长（${long.length} 字`);
    expect(e.userText).toContain("可导入的格式");
  });

  it("more lines than a plan has is refused in Chinese; at the cap the plan is still read", async () => {
    const lines = (n: number) => `${PLAN_HEAD}${MEASURE}\n${"\n".repeat(n - 5)}`;
    const e = await refusal(utf8(lines(LIMITS.maxLines + 1)));
    expect(e.code).toBe("too_large");
    expect(e.userText).toContain(`超过 ${LIMITS.maxLines} 行`);
    const plan = await parseFile(utf8(lines(LIMITS.maxLines)));
    expect(plan.tasks.map((t) => t.units)).toEqual([["县卫健局"]]);
  });

  it("a .docx whose tables hold more cells than any plan is refused before extraction", async () => {
    const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
    const cols = 320;
    const rows = Math.ceil((LIMITS.maxCells + 1) / cols);
    const row = `<w:tr>${"<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>".repeat(cols)}</w:tr>`;
    const zip = new JSZip();
    zip.file("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`);
    zip.file("word/document.xml", `<?xml version="1.0"?><w:document ${W}><w:body><w:tbl>${row.repeat(rows)}</w:tbl></w:body></w:document>`);
    const e = await refusal(await zip.generateAsync({ type: "uint8array", compression: "STORE" }));
    expect(e.code).toBe("too_large");
    expect(e.userText).toContain(`${rows * cols} 个非空单元格`);
  }, 60_000);
});

describe("adversarial text at the caps", () => {
  // Runs that make backtracking patterns rescan: separators, open brackets, digits, spaces, titles, target phrases.
  const runs = ["、", "，", "（", "(", "1", " ", "。", "《", "|", "由1个提高到2个、", "牵头", "责任单位：", "1.", "20"];
  const line = (unit: string) => unit.repeat(Math.floor(LIMITS.maxLineChars / unit.length));

  it("each run as a full-length line, alone and after a real measure, is read without a stray measure", () => {
    for (const unit of runs) {
      const text = line(unit);
      expect(text.length).toBeLessThanOrEqual(LIMITS.maxLineChars);
      for (const doc of [`${PLAN_HEAD}${text}`, `${PLAN_HEAD}${MEASURE}\n${text}\n${text}`]) {
        const plan = parseDocument(doc);
        for (const t of plan.tasks) expect(t.units.length, unit).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  it("a run-on table at the cap (office names glued for pages) is rebuilt within a budget, and past it is left with a warning", () => {
    const header = "序号项目名称主要内容分管领导牵头单位配合单位1建设中心。";
    const block = `王小明${"区卫健委区财政局".repeat(40)}。`;
    const page = (k: number) => `${k}、${k === 1 ? header : ""}${block.repeat(Math.floor((LIMITS.maxLineChars - 60) / block.length))}`;
    const one = parseDocument(`${PLAN_HEAD}${page(1)}`);
    expect(one.tasks.length).toBeGreaterThan(0);
    for (const t of one.tasks) expect(t.units.length).toBeGreaterThan(0);
    // Pages joined by their numbers: far more than any plan's table, so nothing is rebuilt and the admin is told.
    const many = parseDocument(`${PLAN_HEAD}${Array.from({ length: 8 }, (_, k) => page(k + 1)).join("\n")}`);
    expect(many.warnings.join()).toContain("未重建");
  }, 60_000);

  it("a line at the cap made of a real measure repeated reads as one measure with its units", () => {
    const body = "到2025年，精品中医馆、示范中医馆分别达到5个、1个，基层医疗卫生机构由80%提高到90%，";
    const text = `1. ${body.repeat(Math.floor((LIMITS.maxLineChars - 40) / body.length))}（责任单位：县卫健局、县医保局）`;
    expect(text.length).toBeLessThanOrEqual(LIMITS.maxLineChars);
    const plan = parseDocument(`${PLAN_HEAD}${text}`);
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0]!.units).toEqual(["县卫健局", "县医保局"]);
  }, 60_000);
});
