import type { Cmp } from "../store/schema.js";
import { builtInWords, coveredActions, scaledUnit } from "./worded.js";
import type { DueYearSource, ParsedIndicator } from "./types.js";

/**
 * Quantitative targets in a measure's text. A number counts as a target when a target verb precedes it in the same
 * clause (达到, 不低于, 建成, 引进…) or a bound follows it (以上, 以内); per-capita planning norms (每3万人…),
 * ranges' upper ends, years and subject counts before the verb are not targets.
 */
const UNIT_WORDS =
  "万人次|万人|万名|万例|万元|亿元|万册|人次|/10万人|/10万|/万人|/千人|%|‰|个百分点|百分点|个|名|人|家|所|张|种|项|支|次|例|座|台|套|处|场|户|间|床|辆|篇|期|批|条|类|本|件|平方米|公里|亩|岁|分钟|小时|工作日|天";
/** A bare 万/亿 as well: its unit is what it scales, worked out from the clause (`scaledUnit`). */
const UNIT = `${UNIT_WORDS}|万|亿`;
/** Ages and durations are mostly descriptions (65岁以上老年人, 3天以上): a target only right after its verb (寿命达到79岁). */
/** Units that count things (个, 名, 万人次): their indicator reads "…数"; rates, ages and durations do not. */
const isCount = (unit: string) => !/^(%|‰|个百分点|百分点|岁|分钟|小时|工作日|天)$/.test(unit) && !unit.startsWith("/");
const DESCRIPTIVE_UNIT = /^(岁|分钟|小时|工作日|天)$/;
const ADJACENT_CUE = /(达到|达|提高到|提高至|提升至|提升到|增至|控制在|缩短至|缩短到|缩短在|不超过|不高于|不低于|低于|≤|≥)\s*$/;
const NUM = "(\\d+(?:\\.\\d+)?)";
// Every number (with a range) and the unit after it if any. The unit is optional in the pattern so that a run of digits
// is consumed once: a required unit would make the engine rescan a long run from each of its digits.
const NUMBER_RUN = new RegExp(`${NUM}(?:\\s*[-—~～至到]\\s*\\d+(?:\\.\\d+)?)?\\s*(${UNIT})?`, "g");

/** Numbers with a unit of measure in a clause: [whole, value, unit], in order. */
export function mentionsIn(clause: string): RegExpMatchArray[] {
  return [...clause.matchAll(NUMBER_RUN)].filter((m) => m[2] !== undefined);
}

const GE_CUE = /(达到|达|增长|增幅|提高|提升|增加|实施|不低于|不少于|不小于|提高到|提升至|提高至|增至|增加到|超过|高于|力争|争取|建成|创成|竣工|建设|新建|新增|创建|打造|支持|再就业|接种|引进|遴选|选取|选择|选定|抓好|至少|培育|培训|选派|累计|完成|开展|召开|举办|推进|启动|实现|覆盖|申报|认定|获批|组建|招聘|招录|配备|扶持|改造|确保|保持|≥|>|＞|≧)/;
const LE_CUE = /(控制在|不超过|不高于|(?<!不)低于|降至|降低到|下降到|下降至|压缩到|≤|(?<![含<])<(?!含)|＜|≦)/g;
/** Verbs of achievement after a count of those who must achieve them, within a short noun phrase. */
const ACHIEVED_AFTER = /^[^，,。；;\d]{0,12}?(建成|创成|完成|达标|通过)/;
/** Comparisons that, before "N…的 + noun", set a threshold for a group rather than a result to reach. */
const GROUP_THRESHOLD = /^(超过|高于|低于|不足|大于|小于|多于|少于|不超过|不高于|不低于|不少于|≥|>|＞|≧|≤|<|＜|≦)/;
const AFTER_GE = /^(以上|及以上|多|余)/;
/** "增长10%左右", "稳定在95%": an estimate or a level to hold is reported as equal. */
const AFTER_EQ = /^左右/;
const EQ_BEFORE = /(稳定在|保持在|维持在)$/;
const AFTER_LE = /^(以内|以下|之内)/;

/** A verb or bound after the mention inside its clause means the mention is a subject count (4家医院实现…). */
const CLAUSE_SPLIT = /[，,。；;：:！!？?]/;
const CLAUSE_BREAK = new RegExp(`(?<=${CLAUSE_SPLIT.source})`);

export function extractIndicators(text: string, defaults: { year: number | null; planYear: number | null }): ParsedIndicator[] {
  const out: ParsedIndicator[] = [];
  for (const sentence of text.split(/(?<=[。；;])/)) {
    const clauses = sentence.split(CLAUSE_BREAK);
    // A year that opens the sentence ("到2027年,…") holds for all of it; one named later holds for its own clause, and
    // only for numbers after it: in "培育不少于15个,2023年争取建成5个,培育不少于25个" only the 5 is due in 2023.
    let sentenceYear: number | null = null;
    let carried: Cmp | null = null;
    for (const [k, clause] of clauses.entries()) {
      const own = yearIn(clause, defaults.planYear);
      const outer = sentenceYear ?? defaults.year;
      if (own && (k === 0 || /^[^\d]{0,4}(20\d{2}|年)[^，,]{0,6}[，,]$/.test(clause))) sentenceYear = own.year;
      const year = own?.year ?? outer;
      const found = clauseIndicators(clause, { year, from: own?.at ?? 0, before: outer }, carried);
      // "建成2个专科,1个推广中心": a clause that opens with a number continues the previous clause's target verb.
      carried = found.length > 0 ? found[found.length - 1]!.cmp : null;
      out.push(...found);
      if (/全覆盖/.test(clause) && !found.some((f) => f.target === 100 && f.unit === "%")) {
        const subject = clause.replace(CLAUSE_SPLIT, "").replace(/^(并|和|及|同时|全面|基本|确保|力争|实现|推进|推动)+/, "");
        const covered = subject.replace(/(实现|达到)?全覆盖[^]*$/, "").replace(/^(实现|推动|推进)/, "") || subject;
        for (const name of coveredActions(covered)) {
          out.push({
            name,
            target: 100,
            unit: "%",
            cmp: "=",
            year: year ?? defaults.year,
            baseline: null,
            baseline_year: null,
            quote: clause.replace(/[，,。；;]$/, ""),
          });
        }
      }
    }
  }
  return out;
}

/** The year a clause sets for its targets (到2027年, 年底前 = the plan's year, the end of 2022-2023年度) and where. */
function yearIn(clause: string, planYear: number | null): { year: number; at: number } | null {
  // Titles keep their length so positions stay true: 《…(2021-2023年)》 names a document, not a deadline.
  const text = clause.replace(/《[^《》]*》/g, (t) => "《".padEnd(t.length, "》"));
  for (const m of text.matchAll(/(20\d{2})\s*(?:[-—~～至到]\s*(20\d{2})\s*)?年(?:底|末|前|内|度)?/g)) {
    // "由2023年的75%提高到80%": the year of the starting value is not the year the target is due.
    if (/[由从较比]$/.test(text.slice(0, m.index)) || /^的?\d/.test(text.slice(m.index + m[0].length))) continue;
    return { year: Number(m[2] ?? m[1]), at: m.index };
  }
  const rel = /(年底前|年内|今年|本年度|年底)/.exec(text);
  if (rel && planYear) return { year: planYear, at: rel.index };
  return null;
}

function clauseIndicators(
  rawClause: string,
  years: { year: number | null; from: number; before: number | null },
  carried: Cmp | null = null,
): ParsedIndicator[] {
  const out: ParsedIndicator[] = [];
  const recurring = /每(年|月|季度|半年|周)/.test(rawClause) && !/(达到|不低于|不少于)/.test(rawClause);
  // "召开一次": a frequency written with a Chinese numeral (一/两次 … only for 次, where prose rarely uses it loosely).
  const CN_DIGIT: Record<string, number> = { 一: 1, 两: 2, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
  // Only with a period (每半年召开一次): without one, "开展一次筛查" just says the work is done once.
  const periodic = !/每(年|半年|季度|季|月|周|两年)/.test(rawClause) ? rawClause : rawClause.replace(/(召开|开展|举办|组织|进行)([一两二三四五六七八九])次/g, (_m, v: string, n: string) => `${v}${CN_DIGIT[n]}次`);
  const { text: clause, exact } = builtInWords(periodic);
  const mentions = mentionsIn(clause);
  // "精品中医馆、示范中医馆分别达到5个、1个": the k-th number belongs to the k-th name listed before 分别.
  const respectively = /分别/.exec(clause);
  const afterRespectively = respectively ? mentions.filter((m) => (m.index ?? 0) > respectively.index) : [];
  const subjects = respectively
    ? clause
        .slice(0, respectively.index)
        .replace(/^.*(?:20\d{2}年(?:底|末)?|[(（][^(（)）]*[)）])[，,]?/, "")
        .replace(/^(全区|全市|全县|其中|力争|确保|实现|推动|使)+/, "")
        .split("、")
    : [];
  const respectiveName = (m: (typeof mentions)[number], unit: string): string | null => {
    const k = afterRespectively.indexOf(m);
    if (k < 0 || subjects.length < 2 || subjects.length !== afterRespectively.length) return null;
    const n = subjects[k]!.trim();
    return n.length >= 2 ? (isCount(unit) && !/[数率量比]$/.test(n) ? `${n}数` : n) : null;
  };
  for (const m of mentions) {
    const at = m.index ?? 0;
    const before = clause.slice(0, at);
    const scaled = m[2] === "万" || m[2] === "亿" ? scaledUnit(m[2], trailingVerbsOff(before).trimEnd(), clause.slice(at + m[0].length)) : null;
    const end = at + m[0].length + (scaled?.extra ?? 0);
    const after = clause.slice(end);
    const prevChar = clause[at - 1] ?? "";
    const unit = scaled?.unit ?? m[2]!;
    const value = Number(m[1]);
    // A year written after the number in its clause (申报1家…作为2023—2024年度项目) does not date it.
    const year = recurring ? null : at < years.from ? years.before : years.year;
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
    const shareReaching = unit === "%" && /^(以上)?(的)?[^，,。；;]{0,20}(达到|达|实现|建成|完成)/.test(after);
    // "8个县(市、区)建成医共体": a count right before a verb of achievement, with no result figure after it, counts
    // those that must achieve it; a figure already reached (已有, 目前) is progress, not a target.
    const achievers = isCount(unit) && ACHIEVED_AFTER.test(after) && !/\d/.test(after) && !/(已|目前|现有|共有)/.test(before);
    // "为300名老年人提供…", "对50户家庭进行改造": a count after 为/对 names whom the work serves, so the count is the target.
    const served = isCount(unit) && /^[^，,。；;]{0,20}(提供|进行|配备|开展|实施|接种)/.test(after) && /(?<![成作定称改视认针面相核比绝])(?:为|对)(?:全区|全市|全县|全镇)?$/.test(before);
    // "其中幼儿园7个、小学4个" and a following "中小学4580个": a breakdown of the previous target keeps its direction.
    const breakdown = carried !== null && isCount(unit) && (/^[\s、，,]*其中/.test(clause) || /^[\s、，,]*[^\d\s，,、。；;：:]{1,8}$/.test(before) && /^[。；;，,]?$/.test(after));
    const continues = carried !== null && (before.replace(/^[\s、，,和及以]+/, "") === "" || breakdown);
    const geAfter = AFTER_GE.test(after) || rateBefore || shareReaching || achievers || served || (continues && carried === ">=");
    const leAfter = AFTER_LE.test(after) || (continues && carried === "<=");
    // "力争50%左右" still asks for at least: a stated floor outweighs the estimate.
    // "100%的村卫生室达到…" asks for all of them, as 全覆盖 does; a count written in words after a verb of building
    // ("组建一个医共体") is the exact number to build.
    const all = shareReaching && value === 100 && /^的/.test(after);
    const worded = exact.has(at) && !AFTER_GE.test(after);
    const eq = (AFTER_EQ.test(after) && !/(力争|争取|不低于|不少于)$/.test(before)) || EQ_BEFORE.test(before) || all || worded;
    // "床位超过20张的卫生院": a count compared inside an attributive phrase (…的 + noun) names a group, not a result.
    const cue = before.slice(Math.max(lastGe, lastLe));
    if (isCount(unit) && /^(及?以上|以下)?的/.test(after) && (Math.max(lastGe, lastLe) < 0 || GROUP_THRESHOLD.test(cue))) continue;
    // A count before the verb is the subject (4家公立医院…实现100%…), unless a bound follows it.
    if (!geBefore && !leBefore && !geAfter && !leAfter && !eq) continue;
    if (DESCRIPTIVE_UNIT.test(unit) && !ADJACENT_CUE.test(before)) continue;
    const cmp: Cmp = eq ? "=" : leBefore || leAfter ? "<=" : value === 100 && unit === "%" && /^全覆盖/.test(after) ? "=" : ">=";
    out.push({
      name: respectiveName(m, unit) ?? indicatorName(before, after, unit),
      target: value,
      unit: unit === "/10万人" ? "/10万人" : unit,
      cmp,
      year,
      ...statedBaseline(before),
      quote: rawClause.slice(0, end + (after.match(/^(以上|以内|以下|及以上|左右)/)?.[0].length ?? 0)).replace(/^[，,、]/, ""),
    });
  }
  return out;
}

// Verbs that can end the text before a target ("…分别达到不低于"), longest first so 不超过 wins over 超过.
const TARGET_VERBS = ["提高到", "提升至", "不低于", "不少于", "控制在", "不超过", "达到", "提高", "提升", "增加", "降至", "超过", "力争", "争取", "累计", "达"];

/** `s` without a run of target verbs at its end (and 分别 before them); stripped right to left in a loop. */
function trailingVerbsOff(s: string): string {
  let t = s.trimEnd();
  let hit = false;
  for (let v = TARGET_VERBS.find((w) => t.endsWith(w)); v; v = TARGET_VERBS.find((w) => t.endsWith(w))) {
    t = t.slice(0, -v.length);
    hit = true;
  }
  if (!hit) return s;
  return t.endsWith("分别") ? t.slice(0, -2) : t;
}

function indicatorName(before: string, after: string, unit: string): string {
  let name = trailingVerbsOff(
    before
      .replace(/(由|从)[^，,；;由从]*?(提高|提升|增加|增长|增至|下降|降低|降|减少|压减|缩短)(到|至)?$/, "")
      .replace(/^(到|至)?20\d{2}年(底|末)?[，,]?/, ""),
  )
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
  if (isCount(unit) && !/[数率量]$/.test(name)) name = `${name.replace(/^(至少)?(建成|建设|打造|创建)/, "")}数`;
  return name.slice(0, 60) || "指标";
}

// Compiled once per cue: this runs for every number of every clause.
const GLOBAL = new Map<RegExp, RegExp>();
function lastIndexOf(s: string, re: RegExp): number {
  let g = GLOBAL.get(re);
  if (!g) GLOBAL.set(re, (g = new RegExp(re.source, "g")));
  let last = -1;
  for (const m of s.matchAll(g)) last = m.index ?? last;
  return last;
}

/**
 * How often an indicator is reported unless someone changes it: a target stated per year (每年开展1次, 年度) is
 * reported once a year; everything else quarterly, so progress towards a multi-year target shows before it is due.
 */
export function defaultPeriod(i: Pick<ParsedIndicator, "quote" | "name">): "year" | "quarter" {
  return /每年|年度|年均|全年|每一年/.test(`${i.quote}${i.name}`) ? "year" : "quarter";
}

/** The frequency an indicator is stored with: the one its source states (每月 in the text, 填报频次 in an edited 台账), else the default by wording. */
export function reportingPeriod(i: Pick<ParsedIndicator, "quote" | "name" | "frequency">): NonNullable<ParsedIndicator["frequency"]> {
  return i.frequency ?? defaultPeriod(i);
}

const BASELINE_BEFORE = new RegExp(`(?:由|从)(?:(20\\d{2})年(?:底|末)?的?)?[^，,；;由从\\d]{0,16}?${NUM}\\s*(?:${UNIT_WORDS})?(?:提高|提升|增加|增长|增至|下降|降低|降|减少|压减|缩短)(?:到|至)?$`);
/** "由2023年的80%提高到85%", "从12个增加到": the value the text says it starts from. */
function statedBaseline(before: string): { baseline: number | null; baseline_year: number | null } {
  const m = BASELINE_BEFORE.exec(before);
  return m ? { baseline: Number(m[2]), baseline_year: m[1] ? Number(m[1]) : null } : { baseline: null, baseline_year: null };
}

/** The years a measure's indicators fall back to when their clause names none, most specific first. */
export interface YearFallbacks {
  /** The measure's own deadline (完成时限). */
  deadline: number | null;
  /** The plan year of an annual plan (2024年民生实事, 2022年重点工作任务). */
  planYear: number | null;
  /** The plan's objective year (到2027年 in its targets). */
  objectiveYear: number | null;
}

/**
 * Gives every indicator the year it is due and how often it is reported. `year` keeps what the text or the measure
 * states (a recurring 每年 target has none); `due_year` is always set, with its source, so a guessed year can be shown
 * as guessed. Returns how many fell back to a plan-wide year.
 */
export function dateIndicators(list: ParsedIndicator[], fb: YearFallbacks, lastResort: number | null): number {
  let guessed = 0;
  for (const i of list) {
    const recurring = /每(年|月|季度|半年|周)/.test(i.quote);
    const pick: [number | null, DueYearSource][] = [
      [i.year, "text"],
      [fb.deadline, "deadline"],
      [fb.planYear, "plan_year"],
      [fb.objectiveYear, "objective_year"],
      [lastResort, "plan_year"],
    ];
    const [due, source] = pick.find(([y]) => y !== null) ?? [null, "plan_year"];
    if (i.year === null && !recurring && source !== "text" && (source !== "plan_year" || fb.planYear !== null)) i.year = due;
    if (due !== null) {
      i.due_year = due;
      i.due_year_source = source;
      if (source === "objective_year" || (source === "plan_year" && fb.planYear === null)) guessed++;
    }
    i.frequency = /每月|月度|逐月/.test(i.quote) ? "month" : defaultPeriod(i);
  }
  return guessed;
}
