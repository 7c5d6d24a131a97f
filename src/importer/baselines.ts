import { mentionsIn } from "./indicators.js";
import type { Table } from "./table.js";
import type { ParsedTask } from "./types.js";

/**
 * An appendix table often repeats the measures with a column for the current state ("2023年情况", 现状, 工作基础).
 * A number there is the baseline of the target in the same row that talks about the same thing: the pairing is by
 * shared wording (甲级中心3家 ↔ 建成甲级中心5个), best pairs first, each number used once, never across % and counts.
 */
const BASELINE_HEADER = /(情况|现状|基数|基础|基线|完成值|实际值|现有)$/;

export function applyBaselines(table: Table, tasks: ParsedTask[]) {
  const baseCol = table.header.findIndex((h) => BASELINE_HEADER.test(h) && !/目标|任务|措施|内容/.test(h));
  const codeCol = table.header.findIndex((h) => /^(序号|编号)$/.test(h));
  if (baseCol < 0 || codeCol < 0) return;
  const headerYear = /(20\d{2})年/.exec(table.header[baseCol]!);
  for (const row of table.rows) {
    const code = (row[codeCol] ?? "").replace(/[.、．]$/, "");
    const cell = row[baseCol] ?? "";
    const task = tasks.find((t) => t.code === code);
    if (!task || !cell || task.indicators.length === 0) continue;
    const year = headerYear ? Number(headerYear[1]) : cellYear(cell);
    const mentions = baselineMentions(cell);
    const pairs: { score: number; m: number; i: number }[] = [];
    task.indicators.forEach((ind, i) => {
      const quote = ind.quote.replace(/20\d{2}年/g, "").replace(/\d+(\.\d+)?/g, "");
      const name = ind.name.replace(/数$/, "");
      // The thing counted (the name's last word: 中医馆, 医师, 覆盖率) must be what the current-state number counts.
      const head = name.replace(/[)）]$/, "").replace(/率$/, "").slice(-2);
      mentions.forEach((m, k) => {
        if (unitClass(m.unit) !== unitClass(ind.unit ?? "")) return;
        if (!m.context.includes(head)) return;
        const score = shared(m.context, quote) + 2 * shared(m.context, name);
        if (score >= 5) pairs.push({ score, m: k, i });
      });
    });
    pairs.sort((a, b) => b.score - a.score);
    const usedM = new Set<number>();
    const usedI = new Set<number>();
    for (const p of pairs) {
      if (usedM.has(p.m) || usedI.has(p.i)) continue;
      usedM.add(p.m);
      usedI.add(p.i);
      const ind = task.indicators[p.i]!;
      ind.baseline = mentions[p.m]!.value;
      ind.baseline_year = year;
    }
  }
}

function cellYear(cell: string): number | null {
  const m = /(20\d{2})\s*年/.exec(cell);
  return m ? Number(m[1]) : null;
}

interface Mention {
  value: number;
  unit: string;
  context: string;
}

/** Each number with the words around it inside its clause, up to the neighbouring numbers. */
function baselineMentions(cell: string): Mention[] {
  const out: Mention[] = [];
  // A number in a sentence about work still under way (9个…建设项目,均在建设中) is not yet a state reached.
  const settled = cell.split(/(?<=[。；;])/).filter((s) => !/在建|建设中|正在|筹建|建设项目/.test(s)).join("");
  for (const clause of settled.split(/[，,。；;]/)) {
    const ms = mentionsIn(clause).filter((m) => !/^年/.test(clause.slice((m.index ?? 0) + m[0].length)));
    ms.forEach((m, k) => {
      const at = m.index ?? 0;
      const prevEnd = k > 0 ? (ms[k - 1]!.index ?? 0) + ms[k - 1]![0].length : 0;
      const nextStart = k + 1 < ms.length ? ms[k + 1]!.index ?? clause.length : clause.length;
      const context = clause.slice(prevEnd, at) + clause.slice(at + m[0].length, nextStart);
      out.push({ value: Number(m[1]), unit: m[2]!, context: context.replace(/20\d{2}年?/g, "") });
    });
  }
  return out;
}

function unitClass(u: string): string {
  if (u === "%" || u === "‰" || u.startsWith("/")) return u;
  return /万|亿/.test(u) ? u : "count";
}

/** Shared Chinese character pairs: how much two phrases talk about the same thing. */
function shared(a: string, b: string): number {
  const grams = (s: string) => {
    const m = new Map<string, number>();
    const t = s.replace(/[^\u4e00-\u9fa5]/g, "");
    for (let k = 0; k + 1 < t.length; k++) m.set(t.slice(k, k + 2), (m.get(t.slice(k, k + 2)) ?? 0) + 1);
    return m;
  };
  const A = grams(a);
  const B = grams(b);
  let n = 0;
  for (const [g, c] of A) n += Math.min(c, B.get(g) ?? 0);
  return n;
}
