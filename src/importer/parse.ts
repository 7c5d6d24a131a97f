import { ImportError } from "./errors.js";
import { ACCEPTED, checkTextSize } from "./read/limits.js";
import { trimEndChars } from "./scan.js";
import { dateIndicators, extractIndicators } from "./indicators.js";
import { applyBaselines } from "./baselines.js";
import { cleanLines, originalSpelling, stripPinyin, type CleanLine } from "./normalize.js";
import { expandRunOnTables } from "./runon.js";
import { columnKind, findTableStart, readTableAt, sectionRowTitle, type Table } from "./table.js";
import { isUnitLine, labelRole, looksLikeUnits, parseUnitPhrase, PERSON_LABEL, trailingUnits, UNIT_LABEL } from "./units.js";
import type { ParsedPlan, ParsedTask } from "./types.js";

/**
 * Reads a plain-text policy work plan. The genre's shapes: numbered measures with the units in a trailing bracket,
 * units on their own line after the measure, Chinese-numbered items that are measures when they carry units,
 * and tables flattened one cell per line (tabs or pipes) whose empty cells inherit from the row above.
 * A numbered item is a measure only when some unit is responsible for it; everything else is a heading or prose.
 */
const CN = "一二三四五六七八九十";
const H1 = new RegExp(`^([${CN}]{1,3})[、.．]\\s*(\\S.*)$`);
const H2 = new RegExp(`^[(（]([${CN}]{1,3})[)）]\\s*(\\S.*)$`);
const ITEM = /^(\d{1,3})\s*[.、．]\s*([^\d\s][^]*)/;
const SUB = /^[(（](\d{1,2})[)）]\s*(\S.*)$/;
const DEADLINE = /(?:完成时限|完成时间|完成期限|时间节点|时限要求|时限)\s*[:：]\s*([^。；;（(）)]+)/;
const DEADLINE_LINE = /^[(（]?(?:完成时限|完成时间|完成期限|时间节点|时限要求)\s*[:：]/;
const DATE = /(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/;
const TITLE_WORDS = /(方案|措施|计划|任务|分解表|意见|要点|清单|规划|办法|通知)/;
/** A table slot merged down from the row above, as readers that know merges print it (the ditto mark). */
export const MERGED_ABOVE = "〃";
const NOT_TASK_SECTIONS = /^(总体要求|指导思想|基本原则|工作目标|总体目标|主要目标|发展目标|目标任务|组织实施|保障措施|组织保障|工作要求|实施步骤|工作步骤|有关要求)/;

export interface ParseOptions {
  fileName?: string;
}

export function parseDocument(text: string, _opts: ParseOptions = {}): ParsedPlan {
  checkTextSize(text);
  const warnings: string[] = [];
  const lines = expandRunOnTables(cleanLines(text, warnings), warnings);
  const nonEmpty = lines.filter((l) => l.text.length > 0);
  // Text that cleaning leaves empty (only marks a broken encoding left, such as a run of "??") is a file without
  // content for the admin, not an importer failure: the same coded refusal as a file with no text at all.
  if (nonEmpty.length === 0) throw new ImportError("empty_file", `文件中没有可读的文字内容：请确认发送的是方案正文。${ACCEPTED}`);
  const header = readHeader(nonEmpty, warnings);
  const planYear = header.issued ? Number(header.issued.slice(0, 4)) : yearFromTitle(header.title);
  const defaultYear = planTargetYear(nonEmpty);
  const annual = annualYear(nonEmpty);
  const ctx: Ctx = { tasks: [], sections: [], warnings, planYear: annual ?? planYear, defaultYear, annualYear: annual, guessed: { n: 0 } };

  const tableStart = findTableStart(lines);
  readProse((tableStart >= 0 ? lines.slice(0, tableStart) : lines).filter((l) => l.text.length > 0), ctx);
  if (tableStart >= 0) {
    // The measures are in the table(s) unless the prose already gave them; then a table is an appendix that repeats
    // them, and only its baseline column (2023年情况, 现状) adds anything.
    const proseTasks = ctx.tasks.length;
    const counter = { n: 0 };
    for (let k = tableStart; k >= 0 && k < lines.length; k = findTableStart(lines, k)) {
      const table = readTableAt(lines, k);
      if (proseTasks === 0) readTable(table, ctx, counter);
      else applyBaselines(table, ctx.tasks);
      k = Math.max(table.end, k + 1);
    }
  }

  if (ctx.guessed.n > 0) warnings.push(`${ctx.guessed.n} 个指标未写明年份，已按方案的目标年份推定（请核对）`);
  return inOriginalSpelling({ ...header, sections: ctx.sections, tasks: ctx.tasks, warnings }, originalSpelling(lines));
}

/** Everything printed back from the document in its own characters (a traditional-character copy stays traditional). */
function inOriginalSpelling(plan: ParsedPlan, orig: (s: string) => string): ParsedPlan {
  const o = (s: string | null) => (s === null ? null : orig(s));
  return {
    ...plan,
    title: orig(plan.title),
    issuer: o(plan.issuer),
    sections: plan.sections.map(orig),
    tasks: plan.tasks.map((t) => ({
      ...t,
      section: o(t.section),
      title: o(t.title),
      head: orig(t.head),
      text: orig(t.text),
      units: t.units.map(orig),
      lead: t.lead.map(orig),
      support: t.support.map(orig),
      deadline_text: o(t.deadline_text),
      indicators: t.indicators.map((i) => ({ ...i, name: orig(i.name), unit: o(i.unit), quote: orig(i.quote) })),
    })),
  };
}

interface Ctx {
  tasks: ParsedTask[];
  sections: string[];
  warnings: string[];
  planYear: number | null;
  defaultYear: number | null;
  /** The year of an annual plan (its title or heading names one year of work), else null. */
  annualYear: number | null;
  /** Indicators whose due year had to be taken from the plan as a whole (shared across table contexts). */
  guessed: { n: number };
}

/** "2024年民生实事", "2020年市政府重点工作", "2022年重点工作任务": a plan for one year's work names that year near the top. */
function annualYear(lines: CleanLine[]): number | null {
  for (const l of lines.slice(0, 30)) {
    const m = /(?<![-—~～至到\d])(20\d{2})年(?:度)?[^，。,；;年]{0,16}?(民生实事|重点工作|工作要点|政府工作报告|重点任务|民生工程|实事项目|工作任务)/.exec(l.text);
    if (m && !/20\d{2}年?\s*[-—~～至]\s*20\d{2}/.test(l.text)) return Number(m[1]);
  }
  return null;
}

function yearFromTitle(title: string): number | null {
  const m = /(20\d{2})年/.exec(title);
  return m ? Number(m[1]) : null;
}

/** "到2027年" in the objectives: the year a target without its own year is due. */
function planTargetYear(lines: CleanLine[]): number | null {
  for (const l of lines.slice(0, 40)) {
    const m = /^到(20\d{2})年[，,]/.exec(l.text);
    if (m) return Number(m[1]);
  }
  return null;
}

function readHeader(lines: CleanLine[], warnings: string[]) {
  let title = "";
  let issuer: string | null = null;
  let issued: string | null = null;
  const top = lines.slice(0, 25);
  for (const l of top) {
    const t = l.text;
    if (!issued) {
      const d = DATE.exec(t);
      if (d && t.length <= 16) issued = `${d[1]}-${d[2]!.padStart(2, "0")}-${d[3]!.padStart(2, "0")}`;
    }
  }
  const dateIdx = top.findIndex((l) => DATE.test(l.text) && l.text.length <= 16);
  if (dateIdx > 0) {
    for (let k = dateIdx - 1; k >= Math.max(0, dateIdx - 3); k--) {
      const t = top[k]!.text.replace(/^[(（]|[)）]$/g, "");
      if (/(政府|办公室|委员会|局|委|厅|领导小组|办)$/.test(t) && t.length <= 30 && !/[。，,：:]/.test(t)) {
        issuer = t;
        break;
      }
    }
  }
  for (const l of top) {
    const t = l.text;
    if (t.length < 6 || t.length > 90 || /[。：:]$/.test(t) || /。/.test(t)) continue;
    if (/^(关于印发|印发)/.test(t) || /号$/.test(t) || /^附件/.test(t)) continue;
    if (H1.test(t) || ITEM.test(t) || l.tab || isJunk(t)) continue;
    if (TITLE_WORDS.test(t) && !/[，,]/.test(t)) {
      title = t;
      break;
    }
  }
  if (!title) {
    // A consultation draft names its plan only inside the notice: "…起草了《X实施方案(征求意见稿)》".
    for (const l of top) {
      const m = [...l.text.matchAll(/《([^《》]+)》/g)].find((t) => /(?:起草了|现将|印发|制定了?|出台)$/.test(l.text.slice(0, t.index)));
      if (m && m[1]!.length >= 6 && m[1]!.length <= 80 && TITLE_WORDS.test(m[1]!)) {
        title = m[1]!;
        break;
      }
    }
  }
  if (!title) {
    const notice = top.find((l) => /^关于印发.+的通知$/.test(l.text));
    title = notice ? notice.text.replace(/^关于印发/, "").replace(/的通知$/, "").replace(/^《|》$/g, "") : (top[0]?.text ?? "未命名方案");
    warnings.push("未找到独立的标题行，已从通知或首行推断标题");
  }
  for (const l of top.slice(0, 3)) {
    if (isJunk(l.text)) {
      warnings.push(`第 ${l.line} 行疑似网页残留（“${l.text.slice(0, 20)}”），已忽略`);
    }
  }
  return { title, issuer, issued, jurisdiction: jurisdictionOf(issuer, title, top) };
}

/** The issuing government: 重庆市渝中区人民政府办公室 → 重庆市渝中区; else the first place named near the top. */
export function jurisdictionOf(issuer: string | null, title: string, top: CleanLine[]): string {
  const place = /((?:[\u4e00-\u9fa5]{2,5}?省)?(?:[\u4e00-\u9fa5]{2,5}?市)?(?:[\u4e00-\u9fa5]{1,5}?[区县])?)(?:人民政府|政府|卫生健康|卫生和计划生育|委员会|办公室)/;
  const candidates = [issuer ?? "", ...top.map((l) => l.text.replace(/^[(（]/, "")), title];
  for (const c of candidates) {
    const m = place.exec(c);
    if (m?.[1] && m[1].length >= 2 && /[省市区县]$/.test(m[1])) return m[1];
  }
  const t = /^(?:20\d{2}年)?([\u4e00-\u9fa5]{2,4}?[市区县])/.exec(title);
  if (t?.[1]) return t[1];
  const named = /([\u4e00-\u9fa5]{2,4}[市区县])/.exec(title);
  return named?.[1] ?? "未知";
}

function startTask(ctx: Ctx, code: string, section: string | null, body: string): ParsedTask {
  return { code, section, title: null, head: "", text: body, units: [], lead: [], support: [], deadline: null, deadline_text: null, indicators: [] };
}

function finishTask(ctx: Ctx, t: ParsedTask) {
  let text = t.text.trim();
  if (t.units.length === 0) {
    const tail = trailingUnits(text);
    if (tail) {
      // "(牵头单位:A;配合单位:B;完成时限:2026年6月)": the deadline may sit inside the units bracket.
      if (DEADLINE.test(tail.phrase)) text = `${tail.before}${DEADLINE.exec(tail.phrase)![0]}`;
      else text = tail.before;
      const u = parseUnitPhrase(tail.phrase);
      t.units = u.units;
      t.lead = u.lead;
      t.support = u.support;
    }
  }
  if (t.units.length === 0) return false;
  const dl = DEADLINE.exec(text);
  if (dl) {
    t.deadline_text = dl[1]!.trim();
    t.deadline = isoDeadline(t.deadline_text, ctx.planYear);
    text = text.replace(dl[0], "").replace(/[；;]\s*$/, "").trim();
  }
  // "夯实医疗卫生服务网底。强化…" : a short first sentence is the measure's title.
  // "夯实网底：强化…" gives the title before a colon; a label (责任单位：, 目标：) is not a title.
  const sentence = /^([^。，,；;：:]{2,30})[。]\s*(\S.*)$/.exec(text) ?? /^([^。，,；;：:]{2,20})[：:]\s*(\S.*)$/.exec(text);
  const first = sentence && !/(单位|部门|目标|任务|时限|时间|要求|内容|措施)$/.test(sentence[1]!) ? sentence : null;
  // The full text keeps the title sentence: it is part of what the official reads.
  if (first && !/\d/.test(first[1]!)) t.title = first[1]!;
  t.text = text;
  t.head = (first && t.title ? first[2]! : text).replace(/\s/g, "").slice(0, 12);
  t.indicators = extractIndicators(stripPinyin(text), { year: null, planYear: ctx.planYear });
  const fallbacks = { deadline: t.deadline ? Number(t.deadline.slice(0, 4)) : null, planYear: ctx.annualYear, objectiveYear: ctx.defaultYear };
  ctx.guessed.n += dateIndicators(t.indicators, fallbacks, ctx.planYear);
  ctx.tasks.push(t);
  return true;
}

export function isoDeadline(s: string, planYear: number | null): string | null {
  let m = /(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})?\s*日?/.exec(s);
  if (m) {
    const y = Number(m[1]), mo = Number(m[2]);
    const d = m[3] ? Number(m[3]) : new Date(Date.UTC(y, mo, 0)).getUTCDate();
    return `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  }
  m = /(20\d{2})\s*年(底|末|前|内)?/.exec(s);
  if (m) return `${m[1]}-12-31`;
  if (/(年底|年内|今年)/.test(s) && planYear) return `${planYear}-12-31`;
  // "12月底前", "9月投入使用" in a plan for one year: that month of the plan year.
  const month = /^(\d{1,2})\s*月/.exec(s.trim());
  if (month && planYear && Number(month[1]) >= 1 && Number(month[1]) <= 12) {
    const mo = Number(month[1]);
    return `${planYear}-${String(mo).padStart(2, "0")}-${String(new Date(Date.UTC(planYear, mo, 0)).getUTCDate()).padStart(2, "0")}`;
  }
  if (/长期|持续/.test(s)) return null;
  return null;
}

function readProse(lines: CleanLine[], ctx: Ctx) {
  let h1: string | null = null;
  let h2: string | null = null;
  let skip = false;
  let cur: ParsedTask | null = null;
  let inAttachment = false;
  const splitParents = new Set<ParsedTask>();
  let lastClosedByUnitLine: ParsedTask | null = null;
  let lastLabelRole: string | null = null;
  const sectionOf = () => h2 ?? h1;
  const close = () => {
    if (cur && !finishTask(ctx, cur) && !skip) {
      // numbered item without units: prose, not a measure
    }
    cur = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const t = l.text;
    if (!t) continue;
    if (/^附件/.test(t) && ctx.tasks.length > 0) {
      close();
      inAttachment = true;
      continue;
    }
    if (inAttachment) continue;
    if (DEADLINE_LINE.test(t) && !cur && lastClosedByUnitLine && lastClosedByUnitLine === ctx.tasks[ctx.tasks.length - 1]) {
      // "完成时限:2025年底" on its own line after the units: it belongs to the measure just read.
      const last = lastClosedByUnitLine;
      const dl = DEADLINE.exec(t.replace(/^[(（]|[)）]$/g, ""));
      if (dl && !last.deadline_text) {
        last.deadline_text = dl[1]!.trim();
        last.deadline = isoDeadline(last.deadline_text, ctx.planYear);
      }
      continue;
    }
    if (PERSON_LABEL.test(t) && (cur || lastClosedByUnitLine)) {
      // "牵头负责领导：…" names a person: never a unit, never part of the measure's text.
      continue;
    }
    if (isUnitLine(t)) {
      const last = ctx.tasks[ctx.tasks.length - 1];
      const role = labelRole(UNIT_LABEL.exec(t)![0]);
      if (!cur && last && lastClosedByUnitLine === last && (role === "support" || (role === "units" && lastLabelRole === "lead"))) {
        // "牵头单位：A" then "配合单位：B" (or 协同责任单位, 责任单位) on the next line: B supports the same measure.
        const extra = parseUnitPhrase(t).units.filter((u) => !last.units.includes(u));
        last.support.push(...extra);
        last.units.push(...extra);
        continue;
      }
      if (cur && cur.units.length === 0) {
        const u = parseUnitPhrase(t);
        cur.units = u.units;
        cur.lead = u.lead;
        cur.support = u.support;
        close();
        lastClosedByUnitLine = ctx.tasks[ctx.tasks.length - 1] ?? null;
        lastLabelRole = role;
      } else {
        ctx.warnings.push(`第 ${l.line} 行的责任单位行前没有对应的措施（“${t.slice(0, 24)}…”），未导入`);
      }
      continue;
    }
    let m = H1.exec(t);
    if (m) {
      close();
      const body = m[2]!;
      const tail = trailingUnits(body);
      if (tail && !NOT_TASK_SECTIONS.test(body)) {
        // Chinese-numbered item carrying units: a measure (石家庄 style).
        cur = startTask(ctx, String(cnToInt(m[1]!)), h1, body);
        h2 = null;
        close();
        continue;
      }
      h1 = stripHeading(body);
      h2 = null;
      skip = NOT_TASK_SECTIONS.test(h1);
      if (!skip) ctx.sections.push(h1);
      // A heading whose units come on a following line is a measure after all; until then it is only a candidate.
      if (!skip) cur = startTask(ctx, String(cnToInt(m[1]!)), null, body);
      continue;
    }
    m = H2.exec(t);
    if (m) {
      close();
      const body = m[2]!;
      const tail = trailingUnits(body);
      if (tail && !skip) {
        cur = startTask(ctx, `(${cnToInt(m[1]!)})`, h1, body);
        close();
        continue;
      }
      h2 = stripHeading(body);
      if (!skip) {
        ctx.sections.push(h2);
        cur = startTask(ctx, `(${cnToInt(m[1]!)})`, h1, body);
      }
      continue;
    }
    m = ITEM.exec(t);
    if (m && !skip) {
      close();
      cur = startTask(ctx, m[1]!, sectionOf(), m[2]!);
      if (trailingUnits(cur.text)) close();
      continue;
    }
    m = SUB.exec(t);
    if (m && cur && trailingUnits(m[2]!) && (splitParents.has(cur) || subItemsWithUnits(lines, i) >= 2)) {
      // Sub-items that each name their own units are measures of their own, numbered under their parent.
      const parent: ParsedTask = cur;
      splitParents.add(parent);
      finishTask(ctx, startTask(ctx, `${parent.code}(${m[1]})`, parent.section, m[2]!));
      continue;
    }
    if (m && !cur && !skip) {
      // "(1)…（责任单位：…）" with no numbered parent: a measure numbered (1).
      cur = startTask(ctx, `(${m[1]})`, sectionOf(), m[2]!);
      if (trailingUnits(cur.text)) close();
      continue;
    }
    if (m && cur) {
      cur.text += `\n(${m[1]})${m[2]}`;
      if (trailingUnits(m[2]!)) close();
      continue;
    }
    if (cur) {
      cur.text += t;
      if (trailingUnits(t)) close();
    } else if (!skip && /^[(（]?(责任单位|牵头单位)/.test(t)) {
      ctx.warnings.push(`第 ${l.line} 行的责任单位没有对应的措施，未导入`);
    }
  }
  close();
}

/** How many own-line sub-items from line i to the next numbered item carry their own units. */
function subItemsWithUnits(lines: CleanLine[], i: number): number {
  let n = 0;
  for (let j = i; j < lines.length; j++) {
    const x = lines[j]!.text;
    if (j > i && (ITEM.test(x) || H1.test(x) || H2.test(x))) break;
    const sm = SUB.exec(x);
    if (sm && trailingUnits(sm[2]!)) n++;
  }
  return n;
}

function stripHeading(s: string): string {
  return trimEndChars(s, "。．.；;:：").trim();
}

function cnToInt(s: string): number {
  const d = (c: string) => CN.indexOf(c) + 1;
  if (s === "十") return 10;
  if (s.startsWith("十")) return 10 + d(s[1]!);
  if (s.endsWith("十")) return d(s[0]!) * 10;
  if (s.length === 3 && s[1] === "十") return d(s[0]!) * 10 + d(s[2]!);
  return d(s);
}

/** Reads measures from a table: one row per measure; empty cells of a merged column inherit from the row above. */
function readTable(table: Table, ctx: Ctx, counter: { n: number }) {
  const header = table.header;
  const col = (re: RegExp) => header.findIndex((h) => re.test(h));
  // The most specific column holds the measures: 具体措施 beats 主要任务 wherever each stands in the header.
  const firstOf = (names: string[]) => names.map((n) => header.findIndex((h) => h.includes(n))).find((k) => k >= 0) ?? -1;
  let measureCol = firstOf(["具体措施", "工作措施", "主要措施", "任务措施", "措施内容", "具体任务", "具体内容", "工作内容", "任务内容", "主要内容", "工作要点", "主要任务"]);
  const kinds = header.map(columnKind);
  const unitCol = kinds.findIndex((k) => k === "lead" || k === "units");
  let sectionCol = header.findIndex((h, k) => k !== measureCol && /^(重点任务|主要任务|任务类别|领域|类别|重点领域|重点工作|目标任务)$/.test(h));
  let titleCol = col(/任务小项|子任务|工作任务|任务名称|项目名称|工作事项/);
  // A table whose only task column is 工作任务 (or 重点任务) holds the measures there.
  if (measureCol < 0 && titleCol >= 0) [measureCol, titleCol] = [titleCol, -1];
  if (measureCol < 0 && sectionCol >= 0) [measureCol, sectionCol] = [sectionCol, -1];
  // Else the measures are in the column whose header names work (民生实事, 任务项目指标, 重点工作任务…).
  if (measureCol < 0) measureCol = header.findIndex((h, k) => kinds[k] === "text" && /(任务|措施|内容|事项|实事|项目|指标|要点|工作)/.test(h));
  const codeCol = kinds.indexOf("code");
  const supportCol = kinds.indexOf("support");
  const deadlineCol = kinds.indexOf("deadline");
  const allLead = unitCol >= 0 && kinds[unitCol] === "lead";
  const yearHeader = header.map((h) => /^(?:到)?(20\d{2})年(?:底|末|目标)?$/.exec(h)).find(Boolean);
  const defaultYear = ctx.defaultYear ?? (yearHeader ? Number(yearHeader[1]) : null);
  const width = Math.max(header.length, ...table.rows.map((r) => r.length));
  let prev: string[] = new Array(width).fill("");
  let rowSection: string | null = null;
  table.rows.forEach((cells, index) => {
    const named = sectionRowTitle(cells);
    if (named) {
      rowSection = named;
      if (!ctx.sections.includes(named)) ctx.sections.push(named);
      return;
    }
    const row = aligned([...cells, ...new Array(Math.max(0, width - cells.length)).fill("")].slice(0, width), kinds, measureCol);
    // The table's last row, cut off mid-sentence before its units (a truncated copy), has no merged cell to inherit.
    const lastText = stripPinyin(measureCol >= 0 ? cells[measureCol] ?? "" : "").trim();
    const cutOff = index === table.rows.length - 1 && unitCol >= 0 && cells.length <= unitCol && !/[。；;！!)）]$/.test(lastText);
    const merged = row.map((c) => c === MERGED_ABOVE || c === "同上");
    merged.forEach((m, c) => m && (row[c] = ""));
    // A text copy cannot tell a merged units cell from an empty one, so an empty lead/units cell repeats the row above.
    // An empty 配合 cell beside the row's own lead is only empty; it repeats the row above only when it is known to be
    // merged (a reader marked it, or a typist wrote 〃/同上) or when the row printed no units at all.
    const ownUnits = unitCol >= 0 && row[unitCol] !== "";
    for (const c of [sectionCol, titleCol, unitCol, supportCol, deadlineCol]) {
      if (c < 0 || row[c] || cutOff || (c === supportCol && ownUnits && !merged[c])) continue;
      row[c] = prev[c] ?? "";
    }
    prev = row;
    const measure = measureCol >= 0 ? row[measureCol] ?? "" : "";
    if (!measure) return;
    const n = ++counter.n;
    const printed = codeCol >= 0 ? (cells[codeCol] ?? "").replace(/[.、．]$/, "") : "";
    const section = (sectionCol >= 0 ? row[sectionCol] || null : null) ?? rowSection;
    if (section && !ctx.sections.includes(section)) ctx.sections.push(section);
    const t = startTask(ctx, /^\d+$/.test(printed) ? printed : `r${n}`, section, measure);
    const u = parseUnitPhrase(unitCol >= 0 ? row[unitCol] ?? "" : "");
    // A separate 配合单位 column: everything in the first units column leads.
    const sup = supportCol >= 0 ? parseUnitPhrase(row[supportCol] ?? "").units : [];
    // A 配合单位 column, or a column headed 牵头/主要责任单位: everything in the first units column leads.
    t.lead = sup.length || allLead ? u.units : u.lead;
    t.support = sup.length ? sup.filter((x) => !u.units.includes(x)) : allLead ? [] : u.support;
    t.units = [...t.lead, ...t.support];
    if (deadlineCol >= 0 && row[deadlineCol]) {
      t.deadline_text = row[deadlineCol]!;
      t.deadline = isoDeadline(row[deadlineCol]!, ctx.planYear);
    }
    const title = titleCol >= 0 ? row[titleCol] || null : null;
    if (!finishTask({ ...ctx, defaultYear }, t)) {
      ctx.warnings.push(`表格第 ${n} 行没有责任单位，未导入`);
      return;
    }
    const added = ctx.tasks[ctx.tasks.length - 1]!;
    if (title) {
      // The title came from its own column: undo a title guessed from the measure's first sentence.
      added.title = title;
      added.head = added.text.replace(/\s/g, "").slice(0, 12);
    }
  });
}

/**
 * A flattened row can lose an empty cell before the units (a merged 主要任务 cell printed once): then offices sit in the
 * person column and progress notes in the units columns. The row is shifted back when that fits the columns better.
 */
function aligned(row: string[], kinds: string[], measureCol: number): string[] {
  // Only a row that lost a cell can be short of one at its end: a row whose last cell is filled printed every cell,
  // and shifting it would push its deadline out and its lead unit into the 配合 column.
  if (measureCol < 0 || row[row.length - 1]) return row;
  const fit = (r: string[]) => {
    let f = 0;
    kinds.forEach((k, i) => {
      const c = r[i] ?? "";
      if (!c) return;
      const unitish = looksLikeUnits(c);
      if (k === "lead" || k === "units" || k === "support") f += unitish ? 1 : -1;
      else if (k === "person" || k === "progress") f -= unitish ? 1 : 0;
    });
    return f;
  };
  const shifted = [...row.slice(0, measureCol + 1), "", ...row.slice(measureCol + 1)].slice(0, row.length);
  return fit(shifted) > fit(row) ? shifted : row;
}

/** Lines a web copy picked up from the page around the document (ads, English site names). */
function isJunk(t: string): boolean {
  return /(在线|入口|娱乐|乐园|彩票|博彩|http|www\.)/i.test(t) || (t.match(/[A-Za-z]/g)?.length ?? 0) > t.length / 3;
}
