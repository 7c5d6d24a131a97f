import type { CleanLine } from "./normalize.js";
import { columnKind, isHeaderRow, type ColumnKind } from "./table.js";
import { unitRunReader, type UnitRun } from "./unit-run.js";

/**
 * Tables copied from a PDF or a document-sharing page with no delimiter at all: the header's column names run
 * together ("序号项目名称主要内容分管领导牵头单位配合单位") and so do the rows after them, often on one line. The
 * layout still says where each cell ends: a row starts at its printed number, a measure cell ends its sentence with
 * 。, a person column holds a name of two to four characters, and the units cells are a run of office names (with or
 * without 、 between them) standing between the end of the measure and the next row. Such a run is rewritten as a
 * pipe table, one row per line, so the table reader reads it like any other table; nothing here knows any wording
 * of a particular plan.
 */

const HEAD_NOUN = /(?:序号|单位|部门|领导|任务|内容|名称|措施|目标|时限|时间|节点|情况|备注|事项|指标|责任人|负责人|进度|进展|要求)$/;
const JOIN = "及和与、";
const CJK = /^[\u4e00-\u9fff]+$/;
const CN = "一二三四五六七八九十";
const CIRCLED = /[\u2460-\u2473]/;
const ORDINAL = new RegExp(`^([${CN}]{1,3})[、.．]?`);
const DEADLINE = /^(?:20\d{2}年(?:\d{1,2}月)?(?:底前|底|前|内|末)?|\d{1,2}月(?:底前|底|前)?|年底前?|长期|持续推进|持续)/;
const MAX_RUN_ON_CHARS = 60_000;
const PAGE_MARK = /^(\d{1,2})、/;

/** The column names of a glued header starting at `at` (which holds 序号), and where the header ends. */
function gluedHeader(s: string, at: number): { names: string[]; end: number } | null {
  const names = ["序号"];
  let i = at + 2;
  while (names.length < 12) {
    let len = 0;
    for (let k = 2; k <= 10 && i + k <= s.length; k++) {
      const cand = s.slice(i, i + k);
      if (!CJK.test(cand)) break;
      if (HEAD_NOUN.test(cand)) {
        len = k;
        break;
      }
    }
    if (!len) break;
    // "具体内容及目标": a name joined to another by 及/和/与 is one column.
    if (JOIN.includes(s[i + len] ?? "")) {
      for (let k = 2; k <= 6; k++) {
        const more = s.slice(i + len + 1, i + len + 1 + k);
        if (!CJK.test(more)) break;
        if (HEAD_NOUN.test(more)) {
          len += 1 + k;
          break;
        }
      }
    }
    names.push(s.slice(i, i + len));
    i += len;
  }
  if (names.length < 4 || !isHeaderRow(names)) return null;
  return { names, end: i };
}

/** Text and its original spelling, cut and joined together (they have the same length at every step). */
interface Pair {
  text: string;
  orig: string;
}

/** A cell as spans of the body (so the original spelling is cut at the same places) and how they join. */
interface Cell {
  spans: [number, number][];
  sep: "" | "、";
}

interface Row {
  cells: Map<number, Cell>;
  line: number;
}

/** Rewrites every run-on table in `lines` as pipe rows; other lines pass unchanged. */
export function expandRunOnTables(lines: CleanLine[], warnings: string[]): CleanLine[] {
  if (!lines.some((l) => l.text.includes("序号"))) return lines;
  const out: CleanLine[] = [];
  // A run-on copy of a plan's table is a few thousand characters; past this budget the text is no such copy, and
  // the budget keeps the rebuild's cost bounded whatever an upload holds.
  let budget = MAX_RUN_ON_CHARS;
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k]!;
    const at = l.text.indexOf("序号");
    const head = at >= 0 ? gluedHeader(l.text, at) : null;
    if (!head || l.text.length - head.end < 20) {
      out.push(l);
      continue;
    }
    // A sharing page prefixes each page of the copy with its number ("1、…", "2、…"): the pages are one table.
    let body: Pair = { text: l.text.slice(head.end), orig: l.orig.slice(head.end) };
    let prefix: Pair = { text: l.text.slice(0, at), orig: l.orig.slice(0, at) };
    let next = k + 1;
    const mark = PAGE_MARK.exec(l.text);
    if (mark) {
      prefix = { text: prefix.text.slice(mark[0].length), orig: prefix.orig.slice(mark[0].length) };
      for (let page = Number(mark[1]) + 1; next < lines.length; next++, page++) {
        const m = PAGE_MARK.exec(lines[next]!.text);
        if (!m || Number(m[1]) !== page) break;
        body = { text: body.text + lines[next]!.text.slice(m[0].length), orig: body.orig + lines[next]!.orig.slice(m[0].length) };
      }
    }
    if (body.text.length > budget) {
      warnings.push(`第 ${l.line} 行起的无分隔符表格过长（${body.text.length} 字），未重建，请改发 Word 或 Excel 原件`);
      out.push(l);
      continue;
    }
    budget -= body.text.length;
    // A header repeated at the top of each page is no row.
    const glued = l.text.slice(at, head.end);
    body = withoutAll(body, glued);
    const rows = readRows(body, head.names.map(columnKind), l.line);
    if (!rows.some((r) => [...r.cells.keys()].some((c) => isUnitKind(columnKind(head.names[c]!))))) {
      out.push(l);
      continue;
    }
    warnings.push(`第 ${l.line} 行的表格没有分隔符（复制时丢失），已按表头“${head.names.join("、")}”重建为 ${rows.length} 行，请核对`);
    if (prefix.text.trim()) out.push({ ...l, text: prefix.text.trim(), orig: prefix.orig.trim() });
    const pipe = (cells: Pair[]) => ({
      text: `| ${cells.map((c) => cell(c.text)).join(" | ")} |`,
      orig: `| ${cells.map((c) => cell(c.orig)).join(" | ")} |`,
    });
    out.push({ ...l, tab: false, ...pipe(head.names.map((n) => ({ text: n, orig: n }))) });
    for (const r of rows) {
      const last = Math.max(...r.cells.keys());
      const cells = head.names.slice(0, last + 1).map((_, c) => decode(r.cells.get(c), body));
      out.push({ line: r.line, tab: false, ...pipe(cells) });
    }
    k = next - 1;
  }
  return out;
}

const isUnitKind = (k: ColumnKind) => k === "lead" || k === "units" || k === "support";
const cell = (s: string) => s.replace(/\|/g, "¦").trim();

function decode(c: Cell | undefined, body: Pair): Pair {
    // Layout spaces inside an office name are dropped; a measure's text keeps its own.
  const join = (s: string) => (c ? c.spans.map(([a, b]) => (c.sep ? s.slice(a, b).replace(/\s/g, "") : s.slice(a, b).trim())).join(c.sep) : "");
  return { text: join(body.text), orig: join(body.orig) };
}
const text = (...spans: [number, number][]): Cell => ({ spans, sep: "" });
const units = (...spans: [number, number][]): Cell => ({ spans, sep: "、" });
const extend = (c: Cell | undefined, ...spans: [number, number][]): Cell => ({ spans: [...(c?.spans ?? []), ...spans], sep: c?.sep ?? "" });

function withoutAll(p: Pair, needle: string): Pair {
  let text = "", orig = "", from = 0;
  for (let at = p.text.indexOf(needle); at >= 0; at = p.text.indexOf(needle, from)) {
    text += p.text.slice(from, at);
    orig += p.orig.slice(from, at);
    from = at + needle.length;
  }
  return { text: text + p.text.slice(from), orig: orig + p.orig.slice(from) };
}

const cnValue = (s: string) => {
  const d = (c: string) => CN.indexOf(c) + 1;
  if (s.length === 1) return d(s);
  if (s[0] === "十") return 10 + d(s[1]!);
  return d(s[0]!) * 10 + (s.length === 3 ? d(s[2]!) : 0);
};

/**
 * Splits the body into rows. `pos` always stands at a boundary (the body's start, after 。, after a units run);
 * at a boundary a row may start (its number, or a Chinese ordinal naming a section), units may stand, or the
 * measure's text goes on to its next 。.
 */
function readRows(body: Pair, kinds: ColumnKind[], line: number): Row[] {
  const s = body.text;
  const rows: Row[] = [];
  const codeCol = kinds.indexOf("code");
  const textCols = kinds.flatMap((k, c) => (k === "text" ? [c] : []));
  const unitCols = kinds.flatMap((k, c) => (isUnitKind(k) ? [c] : []));
  if (textCols.length === 0 || unitCols.length === 0) return rows;
  const measureCol = textCols.filter((c) => c < unitCols[0]!).pop() ?? textCols[0]!;
  const personCol = kinds.indexOf("person");
  const personFirst = personCol >= 0 && personCol < unitCols[0]!;
  const deadlineCol = kinds.indexOf("deadline");
  let expected = 1;
  let section = 1;
  let cur: Row | null = null;
  /** Text read since the last units run, not yet known to be a row of its own or the rest of the one before. */
  let pending: [number, number][] = [];
  const newRow = (code: [number, number] | null): Row => {
    const r: Row = { cells: new Map(), line };
    if (code !== null && codeCol >= 0) r.cells.set(codeCol, text(code));
    rows.push(r);
    return r;
  };
  const flushPending = () => {
    // Text after a row's units with no units of its own continues that row's measure (the units cell was tall).
    if (pending.length && cur) {
      cur.cells.set(measureCol, extend(cur.cells.get(measureCol), ...pending));
    }
    pending = [];
  };
  let open: Row | null = null; // the row whose measure is being read (no units yet)
  let pos = 0;
  // A person column before the units: the name is the two to four characters that leave the most office names after
  // them (most names are three characters, so three wins a tie unless another reading starts a name with its place).
  // Office names open with their place (区民政局): of two equal readings, the one whose first name does wins.
  const placeFirst = (run: UnitRun) => "省市区县镇乡各".includes(s[run.pieces[0]![0]]!);
  const unitRunAt = unitRunReader(s);
  const seen = new Map<number, ReturnType<typeof unitsAtUncached>>();
  const unitsAt = (p: number) => {
    if (!seen.has(p)) seen.set(p, unitsAtUncached(p));
    return seen.get(p)!;
  };
  // Without a name the run is read as it stands (a row whose person cell is empty).
  const unitsAtUncached = (p: number) => {
    let found: { person: [number, number] | null; run: UnitRun } | null = null;
    for (const len of personFirst ? [3, 2, 4] : []) {
      if (p + len > s.length || !CJK.test(s.slice(p, p + len))) continue;
      const run = unitRunAt(p + len);
      if (!run) continue;
      const better = !found || run.pieces.length > found.run.pieces.length || (run.pieces.length === found.run.pieces.length && placeFirst(run) && !placeFirst(found.run));
      if (better) found = { person: [p, p + len], run };
    }
    if (found) return found;
    const run = unitRunAt(p);
    return run ? { person: null, run } : null;
  };
  const rowStartAt = (p: number): { code: [number, number]; end: number; section: boolean } | null => {
    const d = /^(\d{1,3})(?:[.、．](?!\d))?/.exec(s.slice(p, p + 5));
    if (d && Number(d[1]) === expected && !/^[\d%‰个人家所万亿元项次名户]/.test(s[p + d[0].length] ?? "")) return { code: [p, p + d[1]!.length], end: p + d[0].length, section: false };
    const c = ORDINAL.exec(s.slice(p, p + 4));
    if (c && cnValue(c[1]!) === section && CJK.test(s[p + c[0].length] ?? "")) return { code: [p, p + c[1]!.length], end: p + c[0].length, section: true };
    return null;
  };
  while (pos < s.length) {
    if (/\s/.test(s[pos]!)) {
      pos++;
      continue;
    }
    const start = rowStartAt(pos);
    if (start && start.section) {
      flushPending();
      // "一强化县域…1.健全…": the section's name runs to the first numbered row (or sub-item, or sentence end).
      let end = start.end;
      while (end < s.length && !/[。；;]/.test(s[end]!) && !CIRCLED.test(s[end]!) && !(/\d/.test(s[end]!) && rowStartAtNumber(s, end, expected))) end++;
      const r = newRow(start.code);
      r.cells.set(textCols[0] === measureCol ? measureCol : textCols[0]!, text([start.end, end]));
      section++;
      cur = null;
      open = null;
      pos = end;
      continue;
    }
    if (start) {
      flushPending();
      open = newRow(start.code);
      cur = open;
      expected++;
      pos = start.end;
      continue;
    }
    const hasText = open ? open.cells.has(measureCol) : pending.length > 0;
    const u = hasText ? unitsAt(pos) : null;
    if (u && acceptsRun(u.run.end, u.person !== null && u.run.pieces.length > 1)) {
      let target = open;
      if (!target) {
        // Text with units of its own after a finished row: a further measure sharing the row's merged cells.
        target = newRow(null);
        target.cells.set(measureCol, text(...pending));
        pending = [];
      }
      if (u.person && personCol >= 0) target.cells.set(personCol, text(u.person));
      const pieces = u.run.pieces;
      // Names run together over a lead and a support column: the first is the lead's.
      if (unitCols.length > 1) {
        target.cells.set(unitCols[0]!, units(pieces[0]!));
        if (pieces.length > 1) target.cells.set(unitCols[1]!, units(...pieces.slice(1)));
      } else target.cells.set(unitCols[0]!, units(...pieces));
      pos = u.run.end;
      // A note in the units cell ("列在首位的为牵头单位，…下同") stays with the units, not with the next measure.
      while (s[pos] === "。" || s[pos] === "；") {
        const stop = s.indexOf("。", pos + 1);
        const sentence = s.slice(pos + 1, stop < 0 ? s.length : stop + 1);
        if (!/(首位|牵头|职责|下同|不再列出)/.test(sentence) || CIRCLED.test(sentence[0] ?? "")) break;
        pos = stop < 0 ? s.length : stop + 1;
      }
      if (s[pos] === "。") pos++;
      if (deadlineCol > unitCols[0]!) pos = readDeadline(target, deadlineCol, pos);
      cur = target;
      open = null;
      continue;
    }
    // The measure's text, to the end of its sentence (or to where a row starts right after it).
    let end = s.indexOf("。", pos);
    end = end < 0 ? s.length : end + 1;
    if (open) open.cells.set(measureCol, extend(open.cells.get(measureCol), [pos, end]));
    else pending.push([pos, end]);
    pos = end;
  }
  flushPending();
  return rows.filter((r) => r.cells.size > 0);

  /**
   * A units run counts where a cell can end after it: the body's end, a row, a sentence end, a sub-item; or, for a
   * run that is surely a units cell (a person before several names), text that goes on (the rest of a tall measure
   * cell, or a further measure sharing the row's merged cells).
   */
  function acceptsRun(end: number, sure: boolean): boolean {
    if (end >= s.length || /[。；\s]/.test(s[end]!) || CIRCLED.test(s[end]!) || rowStartAt(end) || sure) return true;
    if (deadlineCol > unitCols[0]! && DEADLINE.test(s.slice(end, end + 16))) return true;
    const stop = s.indexOf("。", end);
    const after = stop > 0 ? unitsAt(stop + 1) : null;
    return after !== null && (after.person !== null || after.run.pieces.length > 1);
  }

  function readDeadline(r: Row, col: number, p: number): number {
    const m = DEADLINE.exec(s.slice(p, p + 16));
    if (!m) return p;
    r.cells.set(col, text([p, p + m[0].length]));
    return p + m[0].length;
  }
}

function rowStartAtNumber(s: string, p: number, expected: number): boolean {
  const d = /^(\d{1,3})[.、．](?!\d)/.exec(s.slice(p, p + 5));
  return d !== null && Number(d[1]) === expected;
}
