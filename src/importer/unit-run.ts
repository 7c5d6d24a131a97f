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
const MAX_PIECE = 18;
/** The window a run is looked for in: a units cell is short, and this keeps the scan linear in the text. */
const WINDOW = 400;

/** Every way a head noun can straddle a position: its first part before it, the rest after it. */
const STRADDLES = TOKENS.flatMap((k) => Array.from({ length: k.length - 1 }, (_, o) => [k.slice(0, o + 1), k.slice(o + 1)] as const));
const CONTINUES = new Set(STRADDLES.map(([, rest]) => rest[0]!));

/** The head noun ending at `e` (before s[e]) that may close a name there, or null (none, or one that goes on). */
function headEndingAt(s: string, e: number): string | null {
  const tok = TOKENS.find((k) => e >= k.length && s.startsWith(k, e - k.length));
  if (!tok) return null;
  // The head noun must end here: "…健康委" before "员会" is half of 委员会.
  if (CONTINUES.has(s[e] ?? "") && STRADDLES.some(([before, rest]) => s.startsWith(rest, e) && s.startsWith(before, e - before.length))) return null;
  return tok;
}

/**
 * Reads runs of office names in one text. The names starting at a position are scanned once, character by character,
 * and where a head noun may end is worked out once per position, so the runs looked for from many nearby starts
 * (with and without a person's name before them) cost a bounded amount per character.
 */
export function unitRunReader(s: string): (p: number) => UnitRun | null {
  // Per position: 0 not worked out yet, 1 no head noun ends here, else 2 + the head noun's index in TOKENS.
  const heads = new Uint8Array(s.length + 1);
  const headAt = (e: number): string | null => {
    if (heads[e] === 0) {
      const tok = headEndingAt(s, e);
      heads[e] = tok === null ? 1 : 2 + TOKENS.indexOf(tok);
    }
    return heads[e] === 1 ? null : TOKENS[heads[e]! - 2]!;
  };
  /** The ends e such that s[a, e) reads as one office name. */
  const namesFrom = (a: number): number[] => {
    const ends: number[] = [];
    const first = s[a] ?? "";
    if (!HAN.test(first) || "和及与等并".includes(first)) return ends;
    let depth = 0;
    let bracketAt = -1;
    let spaces = 0;
    for (let i = a; i < s.length && i - a < MAX_PIECE; i++) {
      const c = s[i]!;
      if (OPEN.includes(c)) {
        if (bracketAt < 0) bracketAt = i;
        depth++;
      } else if (CLOSE.includes(c)) {
        if (--depth < 0) break;
      } else if (c === " ") {
        // a layout space from a narrow PDF column, never first or last
        spaces++;
        continue;
      } else if (depth > 0 && SEP.includes(c)) continue;
      else if (!HAN.test(c) || (c === "的" && depth === 0)) break; // 的: a description ("有条件的…"), not a name
      const e = i + 1;
      if (depth !== 0 || e - a < 2) continue;
      const len = e - a - spaces;
      // "高新园(邹区镇)" is a name; "各县(市、区)" before 党委 is only its place.
      if (CLOSE.includes(c)) {
        if (s.slice(a, bracketAt).replace(/ /g, "").length >= 3) ends.push(e);
        continue;
      }
      // 各镇, 各乡: a two-character name only where something other than a name follows (各乡镇人民政府 is one name).
      if (len < 3 && (first !== "各" || HAN.test(s[e] ?? ""))) continue;
      const tok = headAt(e);
      if (!tok || len <= tok.length) continue;
      // a bare 人民政府 shares the place named before it
      if (len <= 4 && /^(?:人民)?政府$/.test(s.slice(a, e).replace(/ /g, ""))) continue;
      const weak = WEAK[tok];
      if (weak !== undefined && (len > weak || (tok !== "园" && s[e - 2] === "城"))) continue;
      ends.push(e);
    }
    return ends;
  };
  const names = new Map<number, number[]>();
  const namesFromCached = (a: number) => {
    let ends = names.get(a);
    if (!ends) names.set(a, (ends = namesFrom(a)));
    return ends;
  };
  return (p) => unitRunAt(s, p, namesFromCached);
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
function unitRunAt(s: string, p: number, namesFrom: (a: number) => number[]): UnitRun | null {
  const limit = Math.min(s.length, p + WINDOW);
  // best[q]: the most names ending exactly at q, and where the last of them started.
  const best = new Map<number, { n: number; from: number; prev: number }>();
  best.set(p, { n: 0, from: -1, prev: -1 });
  let far = -1;
  // Only ends of names are reachable, and none lies past the furthest end found so far.
  for (let q = p; q < limit && q <= Math.max(p, far); q++) {
    const at = best.get(q);
    if (!at) continue;
    const st = q > p && SEP.includes(s[q] ?? "") ? q + 1 : q;
    for (const e of namesFrom(st)) {
      if (e > limit) break;
      const old = best.get(e);
      if (!old || old.n < at.n + 1) best.set(e, { n: at.n + 1, from: st, prev: q });
      if (e > far) far = e;
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
