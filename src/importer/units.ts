import { cutAtLabel, trimEndChars } from "./scan.js";

/** Reading the responsible-unit phrase of a measure: where it is, how to split it, which unit leads. */

const UNIT_SUFFIX =
  /(委|局|办|府|部|院|中心|公司|街道|镇|乡|会|厅|所|队|处|室|团|行|社|站|馆|集团|协会|管委会|分局|支队|大队|办事处|单位|医院|学校|法院|检察院|总工会|妇联|团委|共青团|红十字会|科协|工商联|政府|部门|县|区|市|联|海关|银行|人行|集团|公司|中心|管理区)$/;

/**
 * Role labels of the genre, read by their parts rather than from a list: a role (牵头, 主要, 协同, 配合…, possibly
 * two: 牵头责任, 协同配合) then what is named (单位, 部门, 主体, 处室). A person label (牵头领导, 分管领导, 牵头负责领导,
 * 责任人) names people, never units. Every alternative is a fixed string under a bounded repeat: no backtracking.
 */
const ROLE = "(?:牵头|主要|主责|主办|协同|配合|协办|参与|协助|责任|负责)";
const NAMED = "(?:单位|部门|主体|处室|科室)";
const PERSON = "(?:牵头|分管|责任|负责|包保|联系|主要|挂帅|督办){0,3}(?:领导|责任人|负责人|联系人|领导同志)";
export const UNIT_LABEL = new RegExp(`^[(（]?${ROLE}{1,3}${NAMED}(?:与${ROLE}{1,2}${NAMED})?\\s*[:：]?\\s*`);
export const PERSON_LABEL = new RegExp(`^[(（]?${PERSON}\\s*[:：]`);
const ANY_LABEL = new RegExp(`(${ROLE}{1,3}${NAMED}(?:与${ROLE}{1,2}${NAMED})?|${PERSON})\\s*[:：]`, "g");
const LABEL_AFTER_BREAK = new RegExp(`(^|[。；;，,\\s])(${ROLE}{1,3}${NAMED}\\s*[:：])`, "g");
const INNER_LABEL = new RegExp(`[；;，,]\\s*${ROLE}{1,3}${NAMED}\\s*[:：]`, "g");
const ANY_LABEL_ONCE = new RegExp(`${ROLE}{1,3}${NAMED}\\s*[:：]`);
const SUPPORT_ROLE = /(协同|配合|协办|参与|协助)/;
const LEAD_ROLE = /(牵头|主要|主责|主办)/;

/** Which role a label gives the units after it; "person" for a label that names people. */
export function labelRole(label: string): "lead" | "support" | "units" | "person" {
  if (/(领导|责任人|负责人|联系人)/.test(label)) return "person";
  if (SUPPORT_ROLE.test(label)) return "support";
  if (LEAD_ROLE.test(label)) return "lead";
  return "units";
}

/** True for a line that starts with a label naming units (not people) and has something after it. */
export function isUnitLine(t: string): boolean {
  const m = UNIT_LABEL.exec(t);
  return m !== null && t.length > m[0].length && (/[:：\s]$/.test(m[0]) || /^[(（]?(责任|牵头)(单位|部门)/.test(t));
}

export interface UnitPhrase {
  units: string[];
  lead: string[];
  support: string[];
}

/** Splits on 、，, ；; outside brackets, so 各区〔市、县〕人民政府 stays one unit. */
export function splitOutsideBrackets(s: string, seps = /[、，,；;]/): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if ("(（〔[［【".includes(ch)) depth++;
    else if (")）〕]］】".includes(ch)) depth = Math.max(0, depth - 1);
    if (depth === 0 && seps.test(ch)) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

function cleanUnit(u: string): string {
  return u
    .replace(UNIT_LABEL, "")
    .replace(/(按照?职责分工|按职责|分别)?(负责|落实|配合|参与)$/, "")
    // "等部门" closes the list; "有关部门" is itself a name (市直有关部门), so 部门/单位 go only after 等.
    .replace(/等(单位|部门)?$/, "")
    .replace(/^[和及与]/, "")
    .replace(/[。.]$/, "")
    .trim();
}

/** True when a phrase reads as a list of offices rather than as prose. */
export function looksLikeUnits(phrase: string): boolean {
  const body = phrase.replace(UNIT_LABEL, "").split(/[。]/)[0] ?? "";
  const parts = splitOutsideBrackets(body).map(cleanUnit).filter(Boolean);
  if (parts.length === 0) return false;
  const unitLike = parts.filter((p) => p.length <= 30 && UNIT_SUFFIX.test(p.replace(/[(（〔][^(（〔)）〕]*[)）〕]/g, "").replace(/(牵头|配合|协办|参与)$/, "")));
  return unitLike.length / parts.length >= 0.6 && !/[，,][^、，,]{25,}/.test(body);
}

/**
 * Reads a unit phrase such as "责任单位:区卫健委、区发改委", "牵头单位:A;配合单位:B、C" or
 * "市发展改革委、市卫生健康委等按职责分工负责". The first unit leads unless the text names the lead.
 */
export function parseUnitPhrase(phrase: string): UnitPhrase {
  // A whole bracketed line "（牵头单位：A 配合单位：B）" reads as its inside.
  const p = phrase.trim().slice(0, 2000).replace(/^[(（]([^()（）]*)[)）]$/, "$1");
  const labels = [...p.matchAll(ANY_LABEL)];
  if (labels.length > 0 && labels.some((m) => labelRole(m[1]!) !== "units" || labels.length > 1)) {
    // Labelled segments: each label's units run to the next label. A person's segment is skipped; 责任单位 after a
    // 牵头单位 label is the supporting role.
    const lead: string[] = [];
    const support: string[] = [];
    const plain: string[] = [];
    labels.forEach((m, k) => {
      const from = (m.index ?? 0) + m[0].length;
      const to = k + 1 < labels.length ? labels[k + 1]!.index ?? p.length : p.length;
      const role = labelRole(m[1]!);
      if (role === "person") return;
      // A segment ends at its sentence or where a deadline label starts (；完成时限：…).
      const seg = cutAtLabel(p.slice(from, to).split(/[。；;]/)[0]!, /(?:完成|时间|时限)\S{0,4}[:：]/, "，,");
      const names = splitUnits(seg);
      if (role === "lead") lead.push(...names);
      else if (role === "support" || lead.length > 0) support.push(...names);
      else plain.push(...names);
    });
    if (lead.length === 0 && support.length === 0) return { units: plain, lead: plain.slice(0, 1), support: plain.slice(1) };
    const l = [...lead, ...plain];
    return { units: [...l, ...support.filter((u) => !l.includes(u))], lead: l, support: support.filter((u) => !l.includes(u)) };
  }
  const body = (p.replace(UNIT_LABEL, "").split(/。/)[0] ?? "").trim();
  // "区卫健委牵头，区发改委、区财政局配合": the roles are written after the names.
  const roles = /^(.+?)牵头[，,；;、\s]*([^]*?)(?:配合|协办|参与)?$/.exec(body);
  if (roles && roles[1]) {
    const l = splitUnits(roles[1]);
    const sp = splitUnits(roles[2] ?? "");
    return { units: [...l, ...sp], lead: l, support: sp };
  }
  const units = splitUnits(body).filter((u) => u.length <= 40);
  return { units, lead: units.slice(0, 1), support: units.slice(1) };
}

/**
 * "市民政局和其他市有关部门": two offices joined by 和/及/与 are two units, but only when both sides read as offices, so
 * 市文化和旅游局 or 市人力资源和社会保障局 (whose first half is no office) stay whole.
 */
function splitConjunction(part: string): string[] {
  // The first 和/及/与 with 3–30 characters on each side (a scan, not a lazy regex).
  let m: [string, string, string] | null = null;
  for (let k = 3; k <= 30 && k < part.length && !m; k++) {
    const rest = part.length - k - 1;
    if ("和及与".includes(part[k]!) && rest >= 3 && rest <= 30) m = [part, part.slice(0, k), part.slice(k + 1)];
  }
  if (!m) return [part];
  const office = (x: string) => UNIT_SUFFIX.test(x.replace(/[(（〔][^(（〔)）〕]*[)）〕]$/, "")) && !/[省市县区乡镇]$/.test(x);
  // "各县(市、区)党委和人民政府": a bare 人民政府 has no place of its own; it shares the left side's, so one unit.
  const placeless = /^(?:人民)?政府$/.test(m[2]!);
  return office(m[1]!) && office(m[2]!) && !placeless ? [m[1]!, m[2]!] : [part];
}

/** Head nouns of several words that two names can share ("人民大垸、荒湖管理区" = 人民大垸管理区 and 荒湖管理区). */
const SHARED_HEAD = /(?:管理区|开发区|人民政府|政府|管委会|办事处|街道|委员会)$/;

/**
 * True when `part` is a place with its head noun left out because the next name supplies it: the part reads as no
 * office, is short, and the next name is a place of about its length plus a head noun of several words.
 */
function elidedBefore(part: string, next: string | undefined): boolean {
  const head = next === undefined ? null : SHARED_HEAD.exec(next);
  // 各镇街 is a group of its own, not a place waiting for a head noun.
  if (!head || part.length > 6 || /^各|街$/.test(part) || UNIT_SUFFIX.test(part.replace(/[(（〔][^(（〔)）〕]*[)）〕]$/, ""))) return false;
  const place = next!.length - head[0].length;
  return place >= 1 && place <= part.length + 2 && !/[(（〔]/.test(part);
}

/**
 * A list of units split on its separators, with an elided coordination kept whole: in "各县、市、区政府" or
 * "各乡、镇人民政府" the first parts lack the head noun they share with the last, so they are one unit.
 */
export function splitUnits(list: string): string[] {
  const parts = splitOutsideBrackets(trimEndChars(list, ";；,，、。", true)).map(cleanUnit).flatMap(splitConjunction).map(cleanUnit).filter(Boolean);
  const out: string[] = [];
  let pending = "";
  for (const [k, part] of parts.entries()) {
    const whole = pending ? `${pending}、${part}` : part;
    // A bare administrative level (县, 市, 各乡) cannot be a unit on its own: it shares the next part's head noun.
    if (/^各?[省市县区乡镇村]$/.test(part) || (pending && /^[省市县区乡镇村]$/.test(part)) || elidedBefore(part, parts[k + 1])) {
      pending = whole;
      continue;
    }
    out.push(whole);
    pending = "";
  }
  if (pending) out.push(pending);
  return out;
}

/**
 * Finds a trailing bracketed unit phrase: "…工作。(责任单位:A、B)" or "…〔A,B按职责分工负责〕".
 * Returns the text before it and the phrase, matching brackets so nested ones (各区〔市、县〕) stay inside.
 */
export function trailingUnits(text: string): { before: string; phrase: string } | null {
  const t = trimEndChars(text, "。；;", true);
  const last = t[t.length - 1];
  if (!last || !")）〕]］】".includes(last)) return unbracketedUnits(t);
  let depth = 0;
  for (let i = t.length - 1; i >= 0; i--) {
    const ch = t[i]!;
    if (")）〕]］】".includes(ch)) depth++;
    else if ("(（〔[［【".includes(ch)) {
      depth--;
      if (depth === 0) {
        const phrase = t.slice(i + 1, t.length - 1).trim();
        if (UNIT_LABEL.test(phrase) || (PERSON_LABEL.test(phrase) && ANY_LABEL_ONCE.test(phrase.replace(PERSON_LABEL, ""))) || /负责[。.]?/.test(phrase) || looksLikeUnits(phrase)) {
          return { before: t.slice(0, i).trim(), phrase };
        }
        return null;
      }
    }
  }
  return null;
}

/**
 * "…全科医生。责任单位：县卫健局、县人社局。" — a labelled unit list closing the measure without brackets. Only a label
 * that opens a sentence counts, and what follows must read as offices (an optional 完成时限 may follow them).
 */
function unbracketedUnits(t: string): { before: string; phrase: string } | null {
  const re = new RegExp(LABEL_AFTER_BREAK.source, "g");
  let hit: RegExpExecArray | null = null;
  // The list opens at its last lead (or plain) label: "牵头单位：A；配合单位：B" starts at 牵头单位.
  for (let m = re.exec(t); m; m = re.exec(t)) if (!hit || labelRole(m[2]!) !== "support") hit = m;
  if (!hit) return null;
  const start = hit.index + hit[1]!.length;
  const phrase = t.slice(start);
  const unitsOnly = cutAtLabel(phrase, /(?:完成时限|完成时间|完成期限|时间节点|时限要求)\s*[:：]/, "；;，,");
  if (!looksLikeUnits(unitsOnly.replace(INNER_LABEL, "、"))) return null;
  return { before: t.slice(0, start).trim(), phrase };
}
