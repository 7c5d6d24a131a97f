import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import ExcelJS from "exceljs";
import { parseCli } from "../src/cli/args.js";
import { fixedClock } from "../src/clock.js";
import { resolveSpeaker, say, type ChatTarget, type Delivered } from "../src/local/chat-client.js";
import { chatRequest, chatSpec, runChatCommand, type ChatCommand } from "../src/local/chat-session.js";
import { localUploadsDir } from "../src/local/files.js";
import { displayWidth } from "../src/local/render.js";
import { startRuntime } from "../src/node/runtime.js";
import { startupLines } from "../src/node/startup-banner.js";

/**
 * The README's "Real output" blocks, produced by running them: a fresh seeded SQLite store, the bot in-process with
 * a fixed clock, and each `$ npm run chat -- …` line parsed by the chat client's own option table and run through
 * the same function the client prints with. `--write` puts the output into README.md between
 * `<!-- walkthrough:NAME -->` and `<!-- /walkthrough -->`; `--check` exits 1 with a diff when they differ.
 */
export const WALKTHROUGH_AT = "2026-12-05T14:17:00Z";
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A `$ npm run chat -- …` line of the README. */
interface ChatStep {
  /** The arguments after `npm run chat --`, exactly as printed in the README. */
  args: string;
  /** A comment printed after the command line. */
  note?: string;
  /** Do not print the output (a step the reader needs only to follow along). */
  quiet?: boolean;
  /** Shorten a long output; each cut is marked with … as the README does. */
  show?: (out: string) => string;
}
/** The start-up lines of `npm run local` (the bot here is already started; its lines are the same function's). */
interface LocalStep {
  local: true;
}
/** Something the reader does outside the chat (editing a workbook in Excel); prints nothing. */
interface OffscreenStep {
  offscreen: (ctx: WalkthroughContext) => Promise<void>;
}
/** A card as the JSON the bot sends (an excerpt, for the protocol section): no command line, only the card. */
interface CardJsonStep {
  cardJson: (ctx: WalkthroughContext) => Promise<unknown>;
}
type Step = ChatStep | LocalStep | OffscreenStep | CardJsonStep;

interface Block {
  name: string;
  steps: Step[];
}

interface WalkthroughContext {
  /** Files the user has: the README's `--file` names, and what the bot sent (saved as the client saves them). */
  files: Map<string, Uint8Array>;
  chat(args: string): Promise<string>;
  /** The cards the bot answers a message with, as JSON (what Lark receives). */
  cardsOf(as: string, text: string): Promise<unknown[]>;
  latestPlanId(): Promise<number>;
}

/**
 * Keeps the start of a long output: for each cut in order, the line matching `after` and `keep` lines after it, then
 * "…", then from the line matching `resume` on (to the end if none). A cut whose lines are not found is an error, so a
 * changed card cannot silently lose its excerpt.
 */
interface Cut {
  after: RegExp;
  keep: number;
  resume?: RegExp;
}
export function excerpt(...cuts: Cut[]): (out: string) => string {
  return (out) => {
    const lines = out.split("\n");
    const kept: string[] = [];
    let i = 0;
    for (const cut of cuts) {
      const at = lines.findIndex((l, k) => k >= i && cut.after.test(l));
      if (at < 0) throw new Error(`walkthrough excerpt: no line matches ${cut.after} in\n${out}`);
      kept.push(...lines.slice(i, at + 1 + cut.keep), "…");
      if (!cut.resume) return kept.join("\n");
      const back = lines.findIndex((l, k) => k > at + cut.keep && cut.resume!.test(l));
      if (back < 0) throw new Error(`walkthrough excerpt: no line matches ${cut.resume} after ${cut.after} in\n${out}`);
      i = back;
    }
    return [...kept, ...lines.slice(i)].join("\n");
  };
}

/** The README's files: the plan sent to the bot is the importer's test document. */
const FILES: Record<string, string> = { "plan.docx": "test/fixtures/files/plan.docx" };

export const BLOCKS: Block[] = [
  { name: "local", steps: [{ local: true }] },
  {
    name: "bind",
    steps: [{ args: '--as ou_newcomer "/绑定 渝中区卫健委"' }, { args: "--as ou_demo_admin --click 同意" }],
  },
  {
    name: "report",
    steps: [
      { args: '--as 渝中区卫健委 "/上报 签约"' },
      { args: "--as 渝中区卫健委 --click 提交 --field 数值=80.5 --field 周期=2026Q4" },
      { args: "--as 渝中区卫健委 --click 再填一项", note: "reopen the form from the receipt", quiet: true },
      { args: "--as 渝中区卫健委 --click 提交 --field 数值=abc" },
    ],
  },
  {
    name: "progress",
    steps: [
      {
        args: '--as ou_demo_supervisor "/进度"',
        show: excerpt({ after: /^├/, keep: 4, resume: /^│ 区卫健委（重庆市渝中区）/ }, { after: /^催办　/, keep: 2, resume: /^另有/ }),
      },
      {
        args: '--as ou_demo_supervisor --chat oc_demo_supervisor --group "/周报"',
        show: excerpt(
          { after: /^（图表）/, keep: 4, resume: /^┌/ },
          { after: /^├/, keep: 3, resume: /^└/ },
          { after: /^催办　/, keep: 2, resume: /^另有/ },
        ),
      },
    ],
  },
  {
    name: "report-form-json",
    steps: [
      {
        // The form of the report block above, as Lark receives it; long parts cut to … (see formExcerpt).
        cardJson: async (ctx) => formExcerpt((await ctx.cardsOf("渝中区卫健委", "/上报 签约"))[0]),
      },
    ],
  },
  {
    name: "import",
    steps: [
      { args: "--as ou_demo_admin --file plan.docx" },
      { args: "--as ou_demo_admin --click 导出核对表" },
      { args: "--as ou_demo_admin --click 确认导入" },
      { args: "--as 渝中区卫健委 --file plan.docx" },
    ],
  },
  {
    name: "revision",
    steps: [
      {
        // `/导出 方案 N`, then in Excel: 家庭医生签约率's target 75 → 80 and its year 2027 → 2025.
        offscreen: async (ctx) => {
          await ctx.chat(`--as ou_demo_admin "/导出 方案 ${await ctx.latestPlanId()}"`);
          const name = [...ctx.files.keys()].reverse().find((n) => n.startsWith("督办台账"));
          if (!name) throw new Error("walkthrough: /导出 方案 sent no 台账 file");
          ctx.files.set("台账-改.xlsx", await editIndicator(ctx.files.get(name)!, "家庭医生签约率", { 目标值: 80, 目标年份: 2025 }));
        },
      },
      { args: "--as ou_demo_admin --file 台账-改.xlsx" },
    ],
  },
  {
    name: "revises",
    steps: [
      {
        // A 修订稿 that renamed itself: the plan's text with （修订稿） in its title and one target raised (5 → 6).
        offscreen: async (ctx) => {
          const text = readFileSync(join(ROOT, "test/fixtures/files/src/plan.txt"), "utf8")
            .replace("某某区基层卫生服务能力提升实施方案\n", "某某区基层卫生服务能力提升实施方案（修订稿）\n")
            .replace("甲级社区卫生服务中心5个", "甲级社区卫生服务中心6个");
          ctx.files.set("方案（修订稿）.txt", new TextEncoder().encode(text));
        },
      },
      { args: "--as ou_demo_admin --file 方案（修订稿）.txt", show: excerpt({ after: /^识别出/, keep: 0, resume: /^\[确认导入\]/ }) },
      { args: "--as ou_demo_admin --click 按所选方案比对 --field 方案编号=6", show: excerpt({ after: /^────/, keep: 0, resume: /^\[确认导入\]/ }) },
      { args: "--as ou_demo_admin --click 确认导入" },
    ],
  },
  {
    name: "supervision",
    steps: [
      { args: "--as ou_demo_supervisor --chat oc_demo_supervisor --click 2", note: "催办 on the 2nd lagging unit of /进度", show: excerpt({ after: /^────/, keep: 2, resume: /^另有/ }) },
      { args: "--as ou_demo_supervisor --chat oc_demo_supervisor --click 2 --card 2" },
      { args: '--as ou_demo_supervisor "/记录 大足区卫健委"' },
      { args: '--as ou_demo_supervisor --chat oc_demo_supervisor --group "/通报"', show: excerpt({ after: /^市卫生健康局（贵阳市）　逾期/, keep: 1 }) },
      { args: "--as ou_demo_supervisor --chat oc_demo_supervisor --click 确认通报", show: excerpt({ after: /^截至/, keep: 0 }) },
    ],
  },
];

/** Printed as a bare … : the rest of an object or array is left out. */
const MORE = "\u0000…";

/** Keeps `keys` of an object (in the card's order) and marks the rest as left out. */
function pick(o: unknown, keys: string[]): Record<string, unknown> {
  const r = o as Record<string, unknown>;
  const kept = Object.fromEntries(Object.keys(r).filter((k) => keys.includes(k)).map((k) => [k, r[k]]));
  return Object.keys(r).length > Object.keys(kept).length ? { ...kept, [MORE]: MORE } : kept;
}

/** The report form's JSON with the parts a reader of the protocol needs: its structure, names and callback value. */
function formExcerpt(card: unknown): unknown {
  const c = card as { body: { elements: Record<string, unknown>[] } } & Record<string, unknown>;
  const [text, form] = c.body.elements as [Record<string, unknown>, { elements: Record<string, unknown>[] } & Record<string, unknown>];
  const fields = form.elements.map((f) => {
    // Options and the button's text are left out (marked …); the callback value is what Lark posts back.
    if (f["tag"] === "select_static") return { ...pick(f, ["tag", "name", "required", "initial_index", "options"]), options: [MORE] };
    if (f["tag"] === "button") {
      const behaviors = (f["behaviors"] as { type: string; value: Record<string, unknown> }[]).map((b) => ({ ...b, value: { ...b.value, nonce: "…" } }));
      return { ...pick(f, ["tag", "name", "type", "form_action_type", "behaviors"]), behaviors };
    }
    return pick(f, f["name"] === "value" ? ["tag", "name", "required", "label"] : f["name"] === "period" ? ["tag", "name", "required", "default_value"] : ["tag", "name", "input_type", "rows", "max_length"]);
  });
  const md = String(text["content"]).split("\n");
  return { ...c, body: { elements: [{ ...text, content: `${md.slice(0, 2).join("\n")}\n…` }, { ...form, elements: fields }] } };
}

/**
 * JSON laid out as a person would excerpt it: a value on one line when it fits in `width` columns (a Chinese
 * character is two); otherwise an array of objects one object a line, and an object's entries packed onto lines
 * indented under the line it opens on.
 */
export function compactJson(v: unknown, width = 118, indent = 0, col = indent): string {
  const flat = inlineJson(v);
  if (col + displayWidth(flat) <= width || v === null || typeof v !== "object") return flat;
  const inner = indent + 2;
  if (Array.isArray(v) && v.every((y) => y !== null && typeof y === "object")) {
    return `[${v.map((y, n) => `\n${" ".repeat(inner)}${compactJson(y, width, inner, inner)}${n === v.length - 1 ? " ]" : ","}`).join("")}`;
  }
  const isArr = Array.isArray(v);
  const entries: [string, unknown][] = isArr ? (v as unknown[]).map((y) => ["", y]) : Object.entries(v as object).filter(([, y]) => y !== undefined).map(([k, y]) => (k === MORE ? ["", MORE] : [`${JSON.stringify(k)}: `, y]));
  let out = isArr ? "[ " : "{ ";
  let at = col + 2;
  let lineIndent = indent;
  entries.forEach(([key, y], n) => {
    const tail = n === entries.length - 1 ? (isArr ? " ]" : " }") : ",";
    let piece = key + compactJson(y, width, lineIndent, at + displayWidth(key));
    if (n > 0 && at + displayWidth(piece.split("\n")[0]!) + (piece.includes("\n") ? 0 : tail.length) > width) {
      out = `${out.trimEnd()}\n${" ".repeat(inner)}`;
      at = lineIndent = inner;
      piece = key + compactJson(y, width, lineIndent, at + displayWidth(key));
    }
    out += piece + tail + (n === entries.length - 1 ? "" : " ");
    const lines = piece.split("\n");
    if (lines.length > 1) {
      const last = lines[lines.length - 1]!;
      lineIndent = last.length - last.trimStart().length;
      at = displayWidth(last) + tail.length + 1;
    } else at += displayWidth(piece) + tail.length + 1;
  });
  return out;
}

function inlineJson(x: unknown): string {
  if (x === MORE) return "…";
  if (Array.isArray(x)) return x.length ? `[ ${x.map(inlineJson).join(", ")} ]` : "[]";
  if (x && typeof x === "object") {
    const e = Object.entries(x).filter(([, y]) => y !== undefined);
    return e.length ? `{ ${e.map(([k, y]) => (k === MORE ? "…" : `${JSON.stringify(k)}: ${inlineJson(y)}`)).join(", ")} }` : "{}";
  }
  return JSON.stringify(x);
}

/** A workbook with some cells of one indicator's row of the 指标 sheet changed, as an official would in Excel. */
async function editIndicator(bytes: Uint8Array, indicator: string, cells: Record<string, string | number>): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  const ws = wb.getWorksheet("指标");
  if (!ws) throw new Error("walkthrough: the 台账 has no 指标 sheet");
  const cols = new Map<string, number>();
  ws.getRow(1).eachCell((c, n) => void cols.set(String(c.value), n));
  let row = 0;
  ws.eachRow((r, n) => {
    if (!row && n > 1 && r.getCell(cols.get("指标名称")!).value === indicator) row = n;
  });
  if (!row) throw new Error(`walkthrough: no row for ${indicator} in the 指标 sheet`);
  for (const [header, value] of Object.entries(cells)) ws.getRow(row).getCell(cols.get(header)!).value = value;
  return new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer);
}

/** Splits a command line as a shell would for the plain quoting the README uses ("…" around words with spaces). */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

/** Runs every block on a fresh store; returns each block's text as it goes between the fences. */
export async function generateWalkthrough(blocks: Block[] = BLOCKS): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "duban-walkthrough-"));
  // data/duban.sqlite, as `npm run local` has it; the folder above it is printed as /….
  const databasePath = join(dir, "data", "duban.sqlite");
  mkdirSync(join(dir, "data"));
  const quiet = { info: () => {}, warn: () => {}, error: (m: string, f?: Record<string, unknown>) => console.error(m, f ?? "") };
  const rt = await startRuntime({ env: { DUBAN_LOCAL: "1" }, port: 0, log: quiet, databasePath, clock: fixedClock(WALKTHROUGH_AT), seedsDir: join(ROOT, "seeds") });
  const target: ChatTarget = { url: rt.url, db: rt.store.db, idle: rt.idle };
  const files = new Map<string, Uint8Array>(Object.entries(FILES).map(([name, path]) => [name, new Uint8Array(readFileSync(join(ROOT, path)))]));
  const ctx: WalkthroughContext = {
    files,
    async chat(args) {
      const parsed = parseCli(chatSpec, shellWords(args));
      if (!parsed) throw new Error(`walkthrough step prints help: ${args}`);
      const request = chatRequest(parsed);
      let cmd: ChatCommand;
      if (request.file !== undefined) {
        const bytes = files.get(request.file);
        if (!bytes) throw new Error(`walkthrough: no file ${request.file}`);
        cmd = { kind: "file", name: basename(request.file), bytes, uploadsDir: localUploadsDir(databasePath) };
      } else cmd = request.cmd!;
      const speaker = await resolveSpeaker(target.db, request.as);
      const saveFile = (d: Delivered) => {
        files.set(d.file!.name, d.file!.bytes);
        return `\n已保存到 saved to …/data/received/${d.file!.name}`;
      };
      return (await runChatCommand(target, speaker, cmd, { saveFile })).replace(/^\n+|\s+$/g, "");
    },
    async cardsOf(as, text) {
      return (await say(target, await resolveSpeaker(target.db, as), text)).map((d) => d.card);
    },
    async latestPlanId() {
      return (await target.db.selectFrom("plans").select((eb) => eb.fn.max("id").as("m")).executeTakeFirstOrThrow()).m ?? 0;
    },
  };
  const out = new Map<string, string>();
  try {
    for (const block of blocks) {
      const parts: string[] = [];
      for (const step of block.steps) {
        if ("offscreen" in step) {
          await step.offscreen(ctx);
        } else if ("cardJson" in step) {
          parts.push(compactJson(await step.cardJson(ctx)));
        } else if ("local" in step) {
          // The in-process bot listens on a free port and runs in this process; `npm run local` has the default port.
          const lines = startupLines(rt, process.pid).map((l) =>
            l.replace(rt.url, "http://127.0.0.1:3000").replace(databasePath, "/…/data/duban.sqlite").replace(`pid ${process.pid}`, "pid …"));
          parts.push(`$ npm run local\n${lines.join("\n")}`);
        } else {
          const text = await ctx.chat(step.args);
          const line = `$ npm run chat -- ${step.args}${step.note ? `      # ${step.note}` : ""}`;
          parts.push(step.quiet ? line : `${line}\n\n${step.show ? step.show(text) : text}`);
        }
      }
      out.set(block.name, parts.join("\n\n"));
    }
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const BLOCK = /<!-- walkthrough:([\w-]+) -->\n```(\w+)\n([\s\S]*?)\n```\n<!-- \/walkthrough -->/g;

/** The marked blocks of a README, by name. */
export function readmeBlocks(readme: string): Map<string, string> {
  return new Map([...readme.matchAll(BLOCK)].map((m) => [m[1]!, m[3]!]));
}

/** The README with each marked block replaced by its generated text; blocks the README does not mark are an error. */
export function applyWalkthrough(readme: string, generated: Map<string, string>): string {
  const seen = new Set<string>();
  const next = readme.replace(BLOCK, (_m, name: string, lang: string) => {
    const text = generated.get(name);
    if (text === undefined) throw new Error(`README marks a walkthrough block “${name}” the generator does not know`);
    seen.add(name);
    return `<!-- walkthrough:${name} -->\n\`\`\`${lang}\n${text}\n\`\`\`\n<!-- /walkthrough -->`;
  });
  const missing = [...generated.keys()].filter((n) => !seen.has(n));
  if (missing.length) throw new Error(`README has no <!-- walkthrough:${missing.join(" / ")} --> block`);
  return next;
}

/** Line diff of two texts (enough to see which card line changed). */
export function lineDiff(a: string, b: string): string {
  const x = a.split("\n"), y = b.split("\n");
  const out: string[] = [];
  let i = 0, j = 0;
  while (i < x.length || j < y.length) {
    if (x[i] === y[j]) { i++; j++; continue; }
    const jn = y.indexOf(x[i]!, j), im = x.indexOf(y[j]!, i);
    if (i < x.length && (jn < 0 || (im >= 0 && im - i <= jn - j))) out.push(`- ${x[i++]}`);
    else out.push(`+ ${y[j++]}`);
  }
  return out.join("\n");
}

async function main(): Promise<number> {
  const mode = process.argv[2];
  if (mode !== "--write" && mode !== "--check" && mode !== undefined) {
    console.error("用法 usage: npm run walkthrough [-- --write | --check]（不带参数：打印生成的输出）");
    return 2;
  }
  const generated = await generateWalkthrough();
  if (mode === undefined) {
    for (const [name, text] of generated) console.log(`<!-- walkthrough:${name} -->\n${text}\n`);
    return 0;
  }
  const path = join(ROOT, "README.md");
  const readme = readFileSync(path, "utf8");
  const next = applyWalkthrough(readme, generated);
  if (mode === "--write") {
    if (next !== readme) writeFileSync(path, next);
    console.log(next === readme ? "README.md 的示例输出已是最新 up to date" : "README.md 的示例输出已更新 rewritten");
    return 0;
  }
  if (next === readme) {
    console.log("README.md 的示例输出与当前代码一致 matches the current code");
    return 0;
  }
  console.error(`README.md 的示例输出与当前代码不一致；运行 npm run walkthrough -- --write 更新\n${lineDiff(readme, next)}`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code), (err) => {
    console.error(err);
    process.exit(1);
  });
}
