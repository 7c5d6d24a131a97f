import type { Card } from "./types.js";

/** Small builders for card JSON 2.0 pieces, so every card spells components the same way. */
export const md = (content: string) => ({ tag: "markdown", content });
export const hr = () => ({ tag: "hr" });
export const plain = (content: string) => ({ tag: "plain_text", content });

export type HeaderColor = "blue" | "wathet" | "turquoise" | "green" | "yellow" | "orange" | "red" | "carmine" | "violet" | "purple" | "indigo" | "grey";

export function card(title: string, elements: unknown[], opts: { subtitle?: string; color?: HeaderColor; summary?: string } = {}): Card {
  return {
    schema: "2.0",
    config: { update_multi: true, width_mode: "fill", ...(opts.summary ? { summary: { content: opts.summary } } : {}) },
    header: {
      title: plain(title),
      ...(opts.subtitle ? { subtitle: plain(opts.subtitle) } : {}),
      template: opts.color ?? "blue",
    },
    body: { elements },
  };
}

export function button(
  text: string,
  value: Record<string, unknown>,
  opts: { type?: "primary" | "default" | "danger" | "primary_filled"; name?: string; size?: "tiny" | "small" | "medium" } = {},
) {
  return {
    tag: "button",
    ...(opts.name ? { name: opts.name } : {}),
    text: plain(text),
    type: opts.type ?? "default",
    size: opts.size ?? "small",
    behaviors: [{ type: "callback", value }],
  };
}

/** A row with text on the left and a button on the right. */
export function rowWithButton(content: string, btn: unknown) {
  return {
    tag: "column_set",
    flex_mode: "none",
    horizontal_spacing: "8px",
    columns: [
      { tag: "column", width: "weighted", weight: 4, vertical_align: "center", elements: [md(content)] },
      { tag: "column", width: "auto", vertical_align: "center", elements: [btn] },
    ],
  };
}

/**
 * An element together with its JSON, written out by hand exactly as JSON.stringify writes the element, and the number
 * of elements Feishu counts in it. A builder that measures every row of a long card (/我的任务: thousands of rows a
 * second under load) gets each row's size and JSON at about a third of the cost of serialising the object; the
 * object is still there for everything else. Tested against JSON.stringify and countElements (test/card-lint.test.ts).
 */
export interface Written {
  element: object;
  json: string;
  elements: number;
}

export function writtenMd(content: string): Written {
  return { element: md(content), json: `{"tag":"markdown","content":${JSON.stringify(content)}}`, elements: 1 };
}

/** `button` written out: the button and its plain_text (the callback value is data, not elements). */
export function writtenButton(text: string, value: Record<string, unknown>, opts: Parameters<typeof button>[2] = {}): Written {
  const name = opts.name ? `"name":${JSON.stringify(opts.name)},` : "";
  return {
    element: button(text, value, opts),
    json: `{"tag":"button",${name}"text":{"tag":"plain_text","content":${JSON.stringify(text)}},"type":${JSON.stringify(opts.type ?? "default")},` +
      `"size":${JSON.stringify(opts.size ?? "small")},"behaviors":[{"type":"callback","value":${JSON.stringify(value)}}]}`,
    elements: 2,
  };
}

/** `rowWithButton` written out: the column set, its two columns, the markdown, and the button's own. */
export function writtenRowWithButton(content: string, btn: Written): Written {
  return {
    element: rowWithButton(content, btn.element),
    json: `{"tag":"column_set","flex_mode":"none","horizontal_spacing":"8px","columns":[{"tag":"column","width":"weighted","weight":4,` +
      `"vertical_align":"center","elements":[{"tag":"markdown","content":${JSON.stringify(content)}}]},{"tag":"column","width":"auto",` +
      `"vertical_align":"center","elements":[${btn.json}]}]}`,
    elements: 4 + btn.elements,
  };
}

/**
 * Characters Feishu's card markdown can read as syntax: links and images `[x](y)` `![x](y)`, tags such as `<at>`,
 * `<font>`, `<link>`, emphasis `* _ ~`, code `` ` ``, headings `#`, quotes `>`, lists `- + *`, tables `|`, rules
 * `--- ===`, emoji `:OK:`, `$` and `{}` placeholders, and `&` (the renderer decodes entities, so a typed `&#60;` or
 * `&reg` would become markup or a symbol). Quotes are included because they close attribute values in tags.
 */
const MARKDOWN_SPECIAL = /[&<>[\]()*_~`#+\-!|\\/:"'$={}]/g;
/**
 * What `esc` leaves as it is (most names and sentences): no line breaks, none of the characters above, no leading
 * blank, and no leading list number ("1." then a blank or the end; "50%" and "2027年" are left alone, and were a
 * quarter of the strings a /我的任务 card escapes, each through four replacements that changed nothing). One pass:
 * the lookahead is anchored at the start and reads the leading digits once.
 */
const NOTHING_TO_ESCAPE = /^(?![ \t\u3000]|\d+\.(?:\s|$))[^\r\n\u2028\u2029&<>[\]()*_~`#+\-!|\\/:"'$={}]*$/;

/**
 * The one way text that did not come from our own code (document text, unit and user names, typed input, notes)
 * enters a markdown element. Feishu's rich-text docs prescribe HTML entities for special characters (`&#60;` for
 * `<`, `&#91;` for `[` …) and do not define backslash escapes, so every special character becomes a numeric entity
 * and shows as itself. Line structure is neutralised too: a line may not start with indentation (code block) or
 * with "1. " (ordered list), and CR / U+2028 / U+2029 become plain line breaks. Truncate before escaping, never after:
 * cutting inside an entity would show its remains.
 */
export function esc(s: string): string {
  if (NOTHING_TO_ESCAPE.test(s)) return s;
  return s
    .replace(/\r\n?|[\u2028\u2029]/g, "\n")
    .replace(/(^|\n)[ \t\u3000]+/g, "$1")
    .replace(MARKDOWN_SPECIAL, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/(^|\n)(\d+)\.(?=\s|$)/g, "$1$2&#46;");
}

export const colorText = (text: string, color: string) => `<font color='${color}'>${text}</font>`;

export const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export type ColumnSpec = [name: string, displayName: string, dataType: "text" | "number", width: string];

/** A card table (root level only, ≤ 10 columns); rows beyond 100 are cut so the card stays under 30 KB. */
export function table(columns: ColumnSpec[], rows: Record<string, unknown>[]) {
  return {
    tag: "table",
    page_size: 10,
    row_height: "low",
    // Wide tables scroll sideways on phones; the first column names the row (the unit), so it stays in view.
    freeze_first_column: true,
    header_style: { background_style: "grey", bold: true, text_align: "left" },
    columns: columns.map(([name, display_name, data_type, width]) => ({ name, display_name, data_type, width })),
    rows: rows.slice(0, 100),
  };
}
