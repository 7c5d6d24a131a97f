/**
 * A run of office names, with or without 、 between them ("教育局经开区高新园(邹区镇)各街道"), as a run-on table
 * prints a units cell. A name ends where an office's head noun ends (局, 委, 办, 公司, 街道, 委员会…) or at a closing
 * bracket; 委 followed by 员会 is not an end, because the longer head noun goes on. Small places (区, 镇, 乡) end
 * a name only when it is short, since they also occur inside longer names (核心区改造, 城乡建设局).
 */

const TOKENS = [
  "红十字会", "委员会", "管委会", "办事处", "办公室", "联合会", "工商联", "开发区", "管理区", "街道办",
  "新区", "园区", "街道", "公司", "集团", "中心", "医院", "学校", "银行", "协会", "工会", "商会", "支队", "大队",
  "局", "委", "办", "府", "部", "院", "所", "队", "站", "厅", "处", "室", "团", "社", "行", "联", "园", "镇", "乡", "区",
];
const WEAK: Record<string, number> = { 区: 4, 镇: 5, 乡: 5, 园: 6 };
const OPEN = "(（〔";
const CLOSE = ")）〕";
const SEP = "、,，";
const HAN = /[\u4e00-\u9fff]/;
const MAX_PIECE = 24;
/** The window a run is looked for in: a units cell is short, and this keeps the scan linear in the text. */
const WINDOW = 400;

/** True when s[a, b) reads as one office name. */
export function isUnitPiece(s: string, a: number, b: number): boolean {
  const len = b - a;
  if (len < 2 || len > MAX_PIECE) return false;
  const first = s[a]!;
  if (!HAN.test(first) || "和及与等并".includes(first)) return false;
  let depth = 0;
  let bracketAt = -1;
  for (let i = a; i < b; i++) {
    const c = s[i]!;
    if (OPEN.includes(c)) {
      if (bracketAt < 0) bracketAt = i;
      depth++;
    } else if (CLOSE.includes(c)) {
      if (--depth < 0) return false;
    } else if (c === " " && i > a && i < b - 1) continue; // a layout space from a narrow PDF column
    else if (!HAN.test(c) && !(depth > 0 && SEP.includes(c))) return false;
    else if (c === "的" && depth === 0) return false; // a description ("有条件的…"), not a name
  }
  if (depth !== 0) return false;
  // "高新园(邹区镇)" is a name; "各县(市、区)" before 党委 is only its place.
  if (CLOSE.includes(s[b - 1]!)) return s.slice(a, bracketAt).replace(/ /g, "").length >= 3;
  // 各镇, 各乡: a two-character name only where something other than a name follows (各乡镇人民政府 is one name).
  if (len < 3 && (first !== "各" || HAN.test(s[b] ?? ""))) return false;
  const t = s.slice(a, b).replace(/ /g, "");
  if (/^(?:人民)?政府$/.test(t)) return false; // a bare 人民政府 shares the place named before it
  const tok = TOKENS.find((k) => t.endsWith(k) && t.length > k.length);
  if (!tok) return false;
  const weak = WEAK[tok];
  if (weak !== undefined && (t.length > weak || (tok !== "园" && s[b - 2] === "城"))) return false;
  // The head noun must end here: "…健康委" before "员会" is half of 委员会.
  for (const k of TOKENS) {
    for (let o = 1; o < k.length; o++) if (s.slice(b - o, b) === k.slice(0, o) && s.startsWith(k.slice(o), b)) return false;
  }
  return true;
}

export interface UnitRun {
  /** Each office name as [from, to) in the text. */
  pieces: [number, number][];
  end: number;
}

/**
 * The longest run of office names starting at `p` (names one after another, or with one 、/，between them), split
 * into as many names as fit; null when no name starts at `p`.
 */
export function unitRunAt(s: string, p: number): UnitRun | null {
  const limit = Math.min(s.length, p + WINDOW);
  // best[q]: the most names ending exactly at q, and where the last of them started.
  const best = new Map<number, { n: number; from: number; prev: number }>();
  best.set(p, { n: 0, from: -1, prev: -1 });
  let far = -1;
  for (let q = p; q < limit; q++) {
    const at = best.get(q);
    if (!at) continue;
    const starts = q > p && SEP.includes(s[q] ?? "") ? [q + 1] : [q];
    for (const st of starts) {
      for (let len = 2; len <= MAX_PIECE && st + len <= limit; len++) {
        const e = st + len;
        if (!isUnitPiece(s, st, e)) continue;
        const old = best.get(e);
        if (!old || old.n < at.n + 1) best.set(e, { n: at.n + 1, from: st, prev: q });
        if (e > far) far = e;
      }
    }
  }
  if (far < 0) return null;
  const pieces: [number, number][] = [];
  for (let q = far; q !== p; ) {
    const b = best.get(q)!;
    pieces.unshift([b.from, q]);
    q = b.prev;
  }
  return { pieces, end: far };
}
