import { SaxesParser } from "saxes";

/**
 * Word automatic numbering: the "一、", "（一）", "1." an official sees are not in the paragraph's text but computed
 * from numbering.xml (a format and a pattern per level) and a counter per list. Plans number their measures this
 * way, so the labels must be rebuilt for the extraction to find measures at all.
 */
interface Level {
  fmt: string;
  text: string;
  start: number;
}

export interface StyleInfo {
  numId?: string;
  ilvl?: number;
  outline?: number;
}

export class Numbering {
  private abstracts = new Map<string, Map<number, Level>>();
  private nums = new Map<string, { abs: string; starts: Map<number, number> }>();
  private counters = new Map<string, number[]>();

  constructor(xml: string | null) {
    if (xml) this.parse(xml);
  }

  private parse(xml: string) {
    const p = new SaxesParser();
    let abs: Map<number, Level> | null = null;
    let lvl: Level | null = null;
    let num: { abs: string; starts: Map<number, number> } | null = null;
    let overrideLvl = -1;
    p.on("opentag", (t) => {
      const val = (t.attributes["w:val"] as string | undefined) ?? "";
      switch (t.name) {
        case "w:abstractNum":
          abs = new Map();
          this.abstracts.set(String(t.attributes["w:abstractNumId"]), abs);
          break;
        case "w:lvl":
          if (abs) {
            lvl = { fmt: "decimal", text: "", start: 1 };
            abs.set(Number(t.attributes["w:ilvl"] ?? 0), lvl);
          }
          break;
        case "w:numFmt":
          if (lvl) lvl.fmt = val;
          break;
        case "w:lvlText":
          if (lvl) lvl.text = val;
          break;
        case "w:start":
          if (lvl) lvl.start = Number(val) || 0;
          break;
        case "w:num":
          num = { abs: "", starts: new Map() };
          this.nums.set(String(t.attributes["w:numId"]), num);
          break;
        case "w:abstractNumId":
          if (num) num.abs = val;
          break;
        case "w:lvlOverride":
          overrideLvl = Number(t.attributes["w:ilvl"] ?? 0);
          break;
        case "w:startOverride":
          if (num && overrideLvl >= 0) num.starts.set(overrideLvl, Number(val) || 0);
          break;
      }
    });
    p.on("closetag", (t) => {
      if (t.name === "w:lvl") lvl = null;
      else if (t.name === "w:abstractNum") abs = null;
      else if (t.name === "w:num") num = null;
      else if (t.name === "w:lvlOverride") overrideLvl = -1;
    });
    p.write(xml).close();
  }

  /** The label of the next paragraph in list numId at level ilvl, advancing the counters; "" for bullets. */
  next(numId: string, ilvl: number): string {
    const num = this.nums.get(numId);
    const levels = num ? this.abstracts.get(num.abs) : undefined;
    const lvl = levels?.get(ilvl);
    if (!num || !levels || !lvl) return "";
    const startOf = (k: number) => num.starts.get(k) ?? levels.get(k)?.start ?? 1;
    const c = this.counters.get(numId) ?? [];
    c[ilvl] = c[ilvl] === undefined ? startOf(ilvl) : c[ilvl]! + 1;
    // A higher level restarts every deeper one.
    c.length = ilvl + 1;
    this.counters.set(numId, c);
    if (lvl.fmt === "bullet" || lvl.fmt === "none") return "";
    return lvl.text.replace(/%(\d)/g, (_, d: string) => {
      const k = Number(d) - 1;
      return formatNumber(c[k] ?? startOf(k), levels.get(k)?.fmt ?? "decimal");
    });
  }
}

const CN_DIGITS = "〇一二三四五六七八九";

function chinese(n: number): string {
  if (n <= 0 || n >= 100) return String(n);
  if (n < 10) return CN_DIGITS[n]!;
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? "" : CN_DIGITS[tens]}十${ones ? CN_DIGITS[ones] : ""}`;
}

function letters(n: number): string {
  let s = "";
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(97 + ((k - 1) % 26)) + s;
  return s;
}

function roman(n: number): string {
  const table: [number, string][] = [[1000, "m"], [900, "cm"], [500, "d"], [400, "cd"], [100, "c"], [90, "xc"], [50, "l"], [40, "xl"], [10, "x"], [9, "ix"], [5, "v"], [4, "iv"], [1, "i"]];
  let s = "";
  let k = n;
  for (const [v, r] of table) for (; k >= v; k -= v) s += r;
  return s;
}

export function formatNumber(n: number, fmt: string): string {
  switch (fmt) {
    case "chineseCounting":
    case "chineseCountingThousand":
    case "chineseLegalSimplified":
    case "taiwaneseCounting":
    case "taiwaneseCountingThousand":
    case "japaneseCounting":
      return chinese(n);
    case "ideographTraditional":
      return "甲乙丙丁戊己庚辛壬癸"[n - 1] ?? String(n);
    case "decimalEnclosedCircle":
    case "decimalEnclosedCircleChinese":
      return n >= 1 && n <= 20 ? String.fromCharCode(0x2460 + n - 1) : String(n);
    case "decimalFullWidth":
    case "decimalFullWidth2":
      return String(n).replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    case "lowerLetter":
      return letters(n);
    case "upperLetter":
      return letters(n).toUpperCase();
    case "lowerRoman":
      return roman(n);
    case "upperRoman":
      return roman(n).toUpperCase();
    case "decimalZero":
      return String(n).padStart(2, "0");
    default:
      return String(n);
  }
}

/** Paragraph styles that carry numbering or an outline level (headings numbered by their style). */
export function readStyles(xml: string | null): Map<string, StyleInfo> {
  const styles = new Map<string, StyleInfo & { basedOn?: string }>();
  if (!xml) return styles;
  const p = new SaxesParser();
  let cur: (StyleInfo & { basedOn?: string }) | null = null;
  p.on("opentag", (t) => {
    const val = t.attributes["w:val"] as string | undefined;
    if (t.name === "w:style") {
      cur = {};
      styles.set(String(t.attributes["w:styleId"]), cur);
    } else if (cur && val !== undefined) {
      if (t.name === "w:numId") cur.numId = val;
      else if (t.name === "w:ilvl") cur.ilvl = Number(val);
      else if (t.name === "w:outlineLvl") cur.outline = Number(val);
      else if (t.name === "w:basedOn") cur.basedOn = val;
    }
  });
  p.on("closetag", (t) => {
    if (t.name === "w:style") cur = null;
  });
  p.write(xml).close();
  // Inherit along basedOn once: a numbered heading style is usually defined on Heading N directly.
  for (const s of styles.values()) {
    const base = s.basedOn ? styles.get(s.basedOn) : undefined;
    if (base) {
      s.numId ??= base.numId;
      s.ilvl ??= base.ilvl;
      s.outline ??= base.outline;
    }
  }
  return styles;
}
