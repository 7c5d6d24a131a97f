/**
 * The one reader for every number an official types. A wrong number silently stored ("1,5" kept as 15) costs more
 * trust than a refusal, so anything ambiguous is refused with a message saying how to write it, in Chinese, prefixed
 * with the field name because it is shown as a toast next to the form.
 */
export type NumberRead = { ok: true; value: number } | { ok: false; message: string };

/** Units that count whole things: a decimal there is a typo, not a measurement. */
const COUNT_UNITS = new Set(["个", "所", "家", "人", "名", "次", "人次", "项", "户", "座", "台", "张", "件", "场", "处", "间", "条", "套", "支", "批", "辆", "篇", "种", "床", "张床"]);

/** Spellings of the same unit an official may type; keys are the indicator's unit as stored. */
const UNIT_ALIASES: Record<string, string[]> = {
  "%": ["%", "％"],
  "‰": ["‰"],
  "/10万": ["/10万", "/10万人", "每10万人", "/十万", "/十万人"],
  "/10万人": ["/10万人", "/10万", "每10万人", "/十万人"],
};

/** Largest value accepted at all; beyond it a value is a typo (and past 2^53 it cannot even be stored exactly). */
export const MAX_VALUE = 1e10;

const FIELD = "数值：";

export function isCountUnit(unit: string | null): boolean {
  return unit !== null && COUNT_UNITS.has(unit);
}

function fullWidthToAscii(s: string): string {
  return s
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, ".")
    .replace(/[，]/g, ",")
    .replace(/[＋]/g, "+")
    .replace(/[－—]/g, "-")
    .replace(/[／]/g, "/");
}

function unitMatches(typed: string, unit: string | null): boolean {
  if (!unit) return false;
  return (UNIT_ALIASES[unit] ?? [unit]).includes(typed);
}

/**
 * Reads `raw` for an indicator measured in `unit` (null = a bare number). Accepts full-width digits, thousands
 * separators in groups of three, and the indicator's own unit after the number ("3个", "12 所", "85.5%").
 */
export function readNumber(raw: string, unit: string | null): NumberRead {
  const s = fullWidthToAscii(raw.trim());
  if (s === "") return { ok: false, message: `${FIELD}请输入数值${unit ? `（单位：${unit}）` : ""}` };
  const m = /^([-+]?[\d.,]*\d[\d.,]*)\s*(.*)$/.exec(s);
  if (!m) return { ok: false, message: `${FIELD}“${raw.trim().slice(0, 20)}”不是数字，请输入数字，例如 ${example(unit)}` };
  const digits = m[1]!;
  const suffix = m[2]!.trim();
  if (suffix && !unitMatches(suffix, unit)) {
    return {
      ok: false,
      message: unit
        ? `${FIELD}该指标的单位是“${unit}”，不能填“${suffix.slice(0, 10)}”。请填写数字，例如 ${example(unit)}`
        : `${FIELD}该指标没有计量单位，请只填数字，例如 ${example(unit)}`,
    };
  }
  let plain = digits;
  if (digits.includes(",")) {
    // Only "1,500" / "12,345.6": a comma anywhere else is as likely a decimal comma ("1,5") as a slip.
    if (!/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(digits)) {
      return { ok: false, message: `${FIELD}“${digits.slice(0, 20)}”中的逗号看不懂：千位分隔须三位一组（如 1,500），小数请用小数点（如 1.5）` };
    }
    plain = digits.replace(/,/g, "");
  }
  if (!/^[-+]?(\d+(\.\d+)?|\.\d+)$/.test(plain)) {
    return { ok: false, message: `${FIELD}“${digits.slice(0, 20)}”不是数字，请输入数字，例如 ${example(unit)}` };
  }
  const significant = plain.replace(/^[-+]?0*/, "").replace(".", "").replace(/0+$/, "").length;
  const value = Number(plain);
  if (!Number.isFinite(value) || Math.abs(value) > MAX_VALUE || significant > 15) {
    return { ok: false, message: `${FIELD}数值过大，请核对后重新填写` };
  }
  if (value < 0) return { ok: false, message: `${FIELD}不能为负数，请填写实际数值` };
  if (unit === "%" && value > 100) return { ok: false, message: `${FIELD}该指标单位为 %，请填写 0–100 之间的数值` };
  if (unit === "‰" && value > 1000) return { ok: false, message: `${FIELD}该指标单位为 ‰，请填写 0–1000 之间的数值` };
  if (isCountUnit(unit) && !Number.isInteger(value)) {
    return { ok: false, message: `${FIELD}该指标以“${unit}”计，应为整数，请填写如 ${Math.round(value)}` };
  }
  return { ok: true, value: value === 0 ? 0 : value };
}

function example(unit: string | null): string {
  if (unit === "%") return "85.5";
  if (isCountUnit(unit)) return `3 或 3${unit}`;
  return unit ? `12.5 或 12.5${unit}` : "85.5";
}

export interface PlausibilityInput {
  value: number;
  unit: string | null;
  cmp: ">=" | "<=" | "=";
  target: number;
  /** The unit's latest stored value, if any. */
  last: number | null;
}

/** How many times over a reference a value may be before we ask "请确认数值". */
export const PLAUSIBLE_FACTOR = 10;

/**
 * Null when the value looks ordinary; else one Chinese sentence saying why it looks wrong. Percentages have their
 * own hard range and are only checked against the last value.
 */
export function implausibility(p: PlausibilityInput): string | null {
  const u = p.unit ?? "";
  if (p.unit !== "%" && p.target > 0 && p.value >= p.target * PLAUSIBLE_FACTOR) {
    return `填报的 ${fmt(p.value)}${u} 是目标 ${fmt(p.target)}${u} 的 ${Math.round(p.value / p.target)} 倍`;
  }
  if (p.last !== null && p.last > 0 && p.value > 0) {
    const ratio = p.value / p.last;
    if (ratio >= PLAUSIBLE_FACTOR) return `填报的 ${fmt(p.value)}${u} 是上次 ${fmt(p.last)}${u} 的 ${Math.round(ratio)} 倍`;
    if (ratio <= 1 / PLAUSIBLE_FACTOR) return `填报的 ${fmt(p.value)}${u} 不到上次 ${fmt(p.last)}${u} 的十分之一`;
  }
  return null;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4))));
