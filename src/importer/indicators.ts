import type { Cmp } from "../store/schema.js";
import type { ParsedIndicator } from "./types.js";

/**
 * Quantitative targets in a measure's text. A number counts as a target when a target verb precedes it in the same
 * clause (达到, 不低于, 建成, 引进…) or a bound follows it (以上, 以内); per-capita planning norms (每3万人…),
 * ranges' upper ends, years and subject counts before the verb are not targets.
 */
const UNIT =
  "万人次|万人|万例|万元|亿元|万册|人次|/10万人|/10万|/万人|/千人|%|‰|个|名|人|家|所|张|种|项|支|次|例|座|台|套|处|场|户|间|床|辆|篇|期|批|条|类|本|件|平方米|公里|亩";
const NUM = "(\\d+(?:\\.\\d+)?)";
const MENTION = new RegExp(`${NUM}(?:\\s*[-—~～至到]\\s*\\d+(?:\\.\\d+)?)?\\s*(${UNIT})`, "g");

const GE_CUE = /(达到|达|实施|不低于|不少于|不小于|提高到|提升至|提高至|增至|增加到|超过|高于|力争|争取|建成|建设|新建|新增|创建|打造|引进|遴选|培育|培训|选派|累计|完成|开展|召开|举办|推进|启动|实现|覆盖|申报|认定|获批|组建|招聘|招录|配备|扶持|改造|确保|保持|≥|>|＞|≧)/;
const LE_CUE = /(控制在|不超过|不高于|(?<!不)低于|降至|降低到|下降到|下降至|压缩到|≤|(?<![含<])<(?!含)|＜|≦)/g;
const AFTER_GE = /^(以上|及以上|左右|多|余)/;
const AFTER_LE = /^(以内|以下|之内)/;

/** A verb or bound after the mention inside its clause means the mention is a subject count (4家医院实现…). */
const CLAUSE_SPLIT = /[，,。；;：:！!？?]/;

export function extractIndicators(text: string, defaults: { year: number | null; planYear: number | null }): ParsedIndicator[] {
  const out: ParsedIndicator[] = [];
  const sentences = text.split(/(?<=[。；;])/);
  let offset = 0;
  for (const sentence of sentences) {
    const sentenceYear = yearIn(sentence, defaults.planYear);
    const clauses = sentence.split(new RegExp(`(?<=${CLAUSE_SPLIT.source})`));
    let sawCoverage = false;
    let carried: Cmp | null = null;
    for (const clause of clauses) {
      const found = clauseIndicators(clause, sentenceYear ?? defaults.year, carried);
      // "建成2个专科,1个推广中心": a clause that opens with a number continues the previous clause's target verb.
      carried = found.length > 0 ? found[found.length - 1]!.cmp : null;
      out.push(...found);
      if (/全覆盖/.test(clause) && !found.some((f) => f.target === 100 && f.unit === "%")) {
        const subject = clause.replace(CLAUSE_SPLIT, "").replace(/^(并|和|及|同时|全面|基本|确保|力争|实现|推进|推动)+/, "");
        out.push({
          name: subject.replace(/(实现|达到)?全覆盖.*$/, "").replace(/^(实现|推动|推进)/, "") || subject,
          target: 100,
          unit: "%",
          cmp: "=",
          year: sentenceYear ?? defaults.year,
          baseline: null,
          baseline_year: null,
          quote: clause.replace(/[，,。；;]$/, ""),
        });
        sawCoverage = true;
      }
    }
    void sawCoverage;
    offset += sentence.length;
  }
  return out;
}

function yearIn(sentence: string, planYear: number | null): number | null {
  const m = /(?:到|至|在|于)?(20\d{2})\s*年(?:底|末|前|内)?/.exec(sentence);
  if (m && !/20\d{2}\s*[-—至]\s*20\d{2}/.test(sentence.slice(Math.max(0, m.index - 6), m.index + 12))) return Number(m[1]);
  if (/(年底前|年内|今年|本年度|年底)/.test(sentence) && planYear) return planYear;
  return null;
}

function clauseIndicators(rawClause: string, year: number | null, carried: Cmp | null = null): ParsedIndicator[] {
  const out: ParsedIndicator[] = [];
  if (/每(年|月|季度|半年|周)/.test(rawClause) && !/(达到|不低于|不少于)/.test(rawClause)) year = null;
  // "召开一次": a frequency written with a Chinese numeral (一/两次 … only for 次, where prose rarely uses it loosely).
  const CN_DIGIT: Record<string, number> = { 一: 1, 两: 2, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
  const clause = rawClause.replace(/(召开|开展|举办|组织|进行)([一两二三四五六七八九])次/g, (_m, v: string, n: string) => `${v}${CN_DIGIT[n]}次`);
  const mentions = [...clause.matchAll(MENTION)];
  for (const m of mentions) {
    const at = m.index ?? 0;
    const before = clause.slice(0, at);
    const after = clause.slice(at + m[0].length);
    const prevChar = clause[at - 1] ?? "";
    const unit = m[2]!;
    const value = Number(m[1]);
    // Years, per-capita norms, ranges' upper ends and ages are not targets.
    if (/^年/.test(after) || /[每第约近]$/.test(before) || /\d\s*[-—~～至到]$/.test(before.trim())) continue;
    if (/^(月|岁|周|天|小时|分钟|年)/.test(after) && unit !== "%") continue;
    if (/^[-—]\d/.test(after)) continue;
    if (unit === "个" && /^月/.test(after)) continue;
    if (/[A-Za-z]$/.test(prevChar)) continue;
    const lastGe = lastIndexOf(before, GE_CUE);
    const lastLe = lastIndexOf(before, LE_CUE);
    const geBefore = lastGe >= 0 && lastGe >= lastLe;
    const leBefore = lastLe >= 0 && lastLe > lastGe;
    // "覆盖率100%": a rate stated right before its number is a target even without a verb.
    const rateBefore = /(率|比例|占比)(为|要)?$/.test(before);
    // "其中10%达到推荐标准", "100%的村卫生室达到基本标准": a share that must reach a standard.
    const shareReaching = unit === "%" && /^(以上)?(的)?[^，,。；;]{0,20}(达到|达|实现|建成)/.test(after);
    const continues = carried !== null && before.replace(/^[\s、，,和及以]+/, "") === "";
    const geAfter = AFTER_GE.test(after) || rateBefore || shareReaching || (continues && carried === ">=");
    const leAfter = AFTER_LE.test(after) || (continues && carried === "<=");
    // A count before the verb is the subject (4家公立医院…实现100%…), unless a bound follows it.
    if (!geBefore && !leBefore && !geAfter && !leAfter) continue;
    const cmp: Cmp = leBefore || leAfter ? "<=" : value === 100 && unit === "%" && /^全覆盖/.test(after) ? "=" : ">=";
    out.push({
      name: indicatorName(before, after, unit),
      target: value,
      unit: unit === "/10万人" ? "/10万人" : unit,
      cmp,
      year,
      baseline: null,
      baseline_year: null,
      quote: rawClause.slice(0, at + m[0].length + (after.match(/^(以上|以内|以下|及以上|左右)/)?.[0].length ?? 0)).replace(/^[，,、]/, ""),
    });
  }
  return out;
}

function indicatorName(before: string, after: string, unit: string): string {
  let name = before
    .replace(/^(到|至)?20\d{2}年(底|末)?[，,]?/, "")
    .replace(/(分别)?(达到|达|不低于|不少于|提高到|提升至|控制在|不超过|降至|超过|力争|争取|累计)+\s*$/, "")
    .replace(/[，,、]$/, "")
    .replace(/^(其中|全区|全市|全县|推动|推进|确保|实现|力争)+/, "")
    .trim();
  const object = after.replace(/^(以上|及以上|左右)?(的)?/, "").split(/[，,。；;、]/)[0] ?? "";
  const weak = name.length < 2 || /^(实施|建成|建设|新建|新增|创建|打造|引进|遴选|培育|培训|选派|完成|开展|推进|启动|实现)$/.test(name);
  if (weak) {
    // The name is what the number counts: the words after it ("100%的村卫生室达到基本标准", "实施100个村卫生室…").
    name = unit === "%" ? `${object}的比例` : `${object.replace(/^(建成|建设|新建|创建|打造|完成|开展|推进|启动)/, "")}数`;
  } else if (unit !== "%" && /(建成|建设|新建|新增|创建|打造|引进|遴选|培育|培训|选派|完成|实施)$/.test(name)) {
    name += object;
  }
  // Counts read as "甲级中心数" rather than "建成甲级中心".
  if (unit !== "%" && !/[数率量]$/.test(name)) name = `${name.replace(/^(至少)?(建成|建设|打造|创建)/, "")}数`;
  return name.slice(0, 60) || "指标";
}

function lastIndexOf(s: string, re: RegExp): number {
  const g = new RegExp(re.source, "g");
  let last = -1;
  for (const m of s.matchAll(g)) last = m.index ?? last;
  return last;
}
