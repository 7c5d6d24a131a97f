/** Reading the responsible-unit phrase of a measure: where it is, how to split it, which unit leads. */

const UNIT_SUFFIX =
  /(委|局|办|府|部|院|中心|公司|街道|镇|乡|会|厅|所|队|处|室|团|行|社|站|馆|集团|协会|管委会|分局|支队|大队|办事处|单位|医院|学校|法院|检察院|总工会|妇联|团委|共青团|红十字会|科协|工商联|政府|部门|县|区|市)$/;

export const UNIT_LABEL = /^(?:责任单位|责任部门|牵头单位|牵头部门|配合单位|配合部门|协办单位|主责单位|责任主体)\s*[:：]?\s*/;

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
  const unitLike = parts.filter((p) => p.length <= 30 && UNIT_SUFFIX.test(p.replace(/[(（〔][^)）〕]*[)）〕]/g, "").replace(/(牵头|配合|协办|参与)$/, "")));
  return unitLike.length / parts.length >= 0.6 && !/[，,]\s*[^、，,]{25,}/.test(body);
}

/**
 * Reads a unit phrase such as "责任单位:区卫健委、区发改委", "牵头单位:A;配合单位:B、C" or
 * "市发展改革委、市卫生健康委等按职责分工负责". The first unit leads unless the text names the lead.
 */
export function parseUnitPhrase(phrase: string): UnitPhrase {
  const p = phrase.trim();
  const lead = /牵头(?:单位|部门)\s*[:：]\s*([^；;。]*?)(?=[；;。]|\s*(?:配合|协办|参与|责任)(?:单位|部门)|$)/.exec(p);
  const afterLead = lead ? p.slice((lead.index ?? 0) + lead[0].length) : p;
  const support = /(?:配合|协办|参与|责任)(?:单位|部门)\s*[:：]\s*([^；;。]*)/.exec(afterLead);
  if (lead) {
    const l = splitOutsideBrackets(lead[1] ?? "").map(cleanUnit).filter(Boolean);
    const s = support ? splitOutsideBrackets(support[1] ?? "").map(cleanUnit).filter(Boolean) : [];
    return { units: [...l, ...s], lead: l, support: s };
  }
  const body = (p.replace(UNIT_LABEL, "").split(/。/)[0] ?? "").trim();
  // "区卫健委牵头，区发改委、区财政局配合": the roles are written after the names.
  const roles = /^(.+?)牵头[，,；;、\s]*(.*?)(?:配合|协办|参与)?$/.exec(body);
  if (roles && roles[1]) {
    const l = splitOutsideBrackets(roles[1]).map(cleanUnit).filter(Boolean);
    const sp = splitOutsideBrackets(roles[2] ?? "").map(cleanUnit).filter(Boolean);
    return { units: [...l, ...sp], lead: l, support: sp };
  }
  const units = splitOutsideBrackets(body).map(cleanUnit).filter((u) => u.length > 0 && u.length <= 40);
  return { units, lead: units.slice(0, 1), support: units.slice(1) };
}

/**
 * Finds a trailing bracketed unit phrase: "…工作。(责任单位:A、B)" or "…〔A,B按职责分工负责〕".
 * Returns the text before it and the phrase, matching brackets so nested ones (各区〔市、县〕) stay inside.
 */
export function trailingUnits(text: string): { before: string; phrase: string } | null {
  const t = text.replace(/[。；;\s]+$/, "");
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
        if (UNIT_LABEL.test(phrase) || /负责[。.]?/.test(phrase) || looksLikeUnits(phrase)) {
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
  const re = /(^|[。；;，,\s])((?:牵头单位|责任单位|责任部门|牵头部门|主责单位)\s*[:：])/g;
  let hit: RegExpExecArray | null = null;
  for (let m = re.exec(t); m; m = re.exec(t)) hit = m;
  if (!hit) return null;
  const start = hit.index + hit[1]!.length;
  const phrase = t.slice(start);
  const unitsOnly = phrase.replace(/[；;，,]?\s*(?:完成时限|完成时间|完成期限|时间节点|时限要求)\s*[:：].*$/, "");
  if (!looksLikeUnits(unitsOnly.replace(/[；;]\s*(?:配合|协办|参与)(?:单位|部门)\s*[:：]/g, "、"))) return null;
  return { before: t.slice(0, start).trim(), phrase };
}
