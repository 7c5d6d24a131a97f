import { z } from "zod";
import { CARD_LIMITS, cardBytes, countElements } from "../../cards/budget.js";

/**
 * A linter for the Feishu card JSON 2.0 that duban sends, written from the open platform's component pages
 * (open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-structure and …/card-json-v2-components/*).
 * JSON 2.0 rejects unknown properties ("传入不支持的属性将报错"), so every object here is strict: a property that
 * is not listed is an error, as it would be in Feishu. Only the components and fields duban uses are modelled;
 * anything else fails until someone checks it against the documentation and adds it.
 */

const px = /^-?\d+px$/;
const spacing = z.union([z.enum(["small", "medium", "large", "extra_large"]), z.string().regex(px)]);
const margin = z.string().regex(/^-?\d+(px)?( -?\d+(px)?){0,3}$/);
const common = { element_id: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,19}$/).optional(), margin: margin.optional() };

// 富文本 / 普通文本: plain_text is an element of its own (it counts toward the 200).
const plainText = z.strictObject({
  tag: z.literal("plain_text"),
  content: z.string().max(1000),
  text_size: z.string().optional(),
  text_align: z.enum(["left", "center", "right"]).optional(),
  text_color: z.string().optional(),
  lines: z.number().int().min(1).optional(),
  i18n_content: z.record(z.string(), z.string()).optional(),
});

// 标题组件 (header): template colours from the title component page.
const header = z.strictObject({
  title: plainText,
  subtitle: plainText.optional(),
  template: z.enum(["blue", "wathet", "turquoise", "green", "yellow", "orange", "red", "carmine", "violet", "purple", "indigo", "grey", "default"]).optional(),
  padding: z.string().optional(),
});

// 全局配置 (config): JSON 2.0 supports only shared cards, so update_multi can only be true.
const config = z.strictObject({
  update_multi: z.literal(true).optional(),
  enable_forward: z.boolean().optional(),
  width_mode: z.enum(["default", "compact", "fill"]).optional(),
  summary: z.strictObject({ content: z.string(), i18n_content: z.record(z.string(), z.string()).optional() }).optional(),
});

const markdown = z.strictObject({
  tag: z.literal("markdown"),
  ...common,
  content: z.string().min(1),
  text_align: z.enum(["left", "center", "right"]).optional(),
  text_size: z.enum(["heading-0", "heading-1", "heading-2", "heading-3", "heading-4", "heading", "normal", "notation", "xxxx-large", "xxx-large", "xx-large", "x-large", "large", "medium", "small", "x-small"]).optional(),
  i18n_content: z.record(z.string(), z.string()).optional(),
});

const hr = z.strictObject({ tag: z.literal("hr"), ...common });

// Button behaviours: a callback value must be an object (the SDKs only support objects; 200671 otherwise).
const behaviors = z.array(z.union([
  z.strictObject({ type: z.literal("callback"), value: z.record(z.string(), z.unknown()) }),
  z.strictObject({ type: z.literal("open_url"), default_url: z.string().url(), pc_url: z.string().optional(), ios_url: z.string().optional(), android_url: z.string().optional() }),
])).min(1);

const confirm = z.strictObject({ title: plainText, text: plainText });

const button = z.strictObject({
  tag: z.literal("button"),
  ...common,
  name: z.string().min(1).optional(),
  type: z.enum(["default", "primary", "danger", "text", "primary_text", "danger_text", "primary_filled", "danger_filled", "laser"]).optional(),
  size: z.enum(["tiny", "small", "medium", "large"]).optional(),
  width: z.union([z.enum(["default", "fill"]), z.string().regex(px)]).optional(),
  text: plainText,
  hover_tips: plainText.optional(),
  disabled: z.boolean().optional(),
  disabled_tips: plainText.optional(),
  confirm: confirm.optional(),
  behaviors: behaviors.optional(),
  form_action_type: z.enum(["submit", "reset"]).optional(),
});

// 下拉选择-单选: initial_index is 1-based ("1 = 第一个"); option values must be unique (checked below).
const selectStatic = z.strictObject({
  tag: z.literal("select_static"),
  ...common,
  name: z.string().min(1).optional(),
  required: z.boolean().optional(),
  disabled: z.boolean().optional(),
  type: z.enum(["default", "text"]).optional(),
  placeholder: plainText.optional(),
  width: z.union([z.enum(["default", "fill"]), z.string().regex(px)]).optional(),
  initial_option: z.string().optional(),
  initial_index: z.number().int().min(0).optional(),
  options: z.array(z.strictObject({ text: plainText, value: z.string().min(1) })).min(1),
  behaviors: behaviors.optional(),
  confirm: confirm.optional(),
});

// 输入框: max_length 1–1000; rows / auto_resize / max_rows only mean something for multiline_text.
const input = z.strictObject({
  tag: z.literal("input"),
  ...common,
  name: z.string().min(1).optional(),
  required: z.boolean().optional(),
  disabled: z.boolean().optional(),
  placeholder: plainText.optional(),
  default_value: z.string().optional(),
  width: z.union([z.enum(["default", "fill"]), z.string().regex(px)]).optional(),
  max_length: z.number().int().min(1).max(1000).optional(),
  input_type: z.enum(["text", "multiline_text", "password"]).optional(),
  show_icon: z.boolean().optional(),
  rows: z.number().int().min(1).optional(),
  auto_resize: z.boolean().optional(),
  max_rows: z.number().int().min(1).optional(),
  label: plainText.optional(),
  label_position: z.enum(["top", "left"]).optional(),
  behaviors: behaviors.optional(),
  confirm: confirm.optional(),
});

// 表格: root level only, no components inside; page_size 1–10; freeze_first_column documented (default false).
const table = z.strictObject({
  tag: z.literal("table"),
  ...common,
  page_size: z.number().int().min(1).max(10).optional(),
  row_height: z.union([z.enum(["low", "middle", "high", "auto"]), z.string().regex(px)]).optional(),
  row_max_height: z.string().regex(px).optional(),
  freeze_first_column: z.boolean().optional(),
  header_style: z.strictObject({
    text_align: z.enum(["left", "center", "right"]).optional(),
    text_size: z.enum(["normal", "heading"]).optional(),
    background_style: z.enum(["none", "grey"]).optional(),
    text_color: z.enum(["default", "grey"]).optional(),
    bold: z.boolean().optional(),
    lines: z.number().int().min(1).optional(),
  }).optional(),
  columns: z.array(z.strictObject({
    name: z.string().min(1),
    display_name: z.string().optional(),
    width: z.union([z.literal("auto"), z.string().regex(/^\d+(px|%)$/)]).optional(),
    vertical_align: z.enum(["top", "center", "bottom"]).optional(),
    horizontal_align: z.enum(["left", "center", "right"]).optional(),
    data_type: z.enum(["text", "lark_md", "options", "number", "persons", "date", "markdown"]),
    format: z.strictObject({ precision: z.number().int().min(0).max(10).optional(), symbol: z.string().optional(), separator: z.boolean().optional() }).optional(),
    date_format: z.string().optional(),
  })).min(1).max(50),
  rows: z.array(z.record(z.string(), z.unknown())),
});

// 图表: a VChart spec (no JS functions, so JSON values only).
const chart = z.strictObject({
  tag: z.literal("chart"),
  ...common,
  aspect_ratio: z.enum(["1:1", "2:1", "4:3", "16:9"]).optional(),
  color_theme: z.enum(["brand", "rainbow", "complementary", "converse", "primary"]).optional(),
  chart_spec: z.record(z.string(), z.unknown()),
  preview: z.boolean().optional(),
  height: z.union([z.literal("auto"), z.string().regex(px)]).optional(),
});

type El = { tag: string; [k: string]: unknown };
// Containers are recursive; z.lazy lets column and form refer to the element union.
const element: z.ZodType<El> = z.lazy(() =>
  z.discriminatedUnion("tag", [markdown, hr, button, selectStatic, input, table, chart, columnSet, form]),
) as unknown as z.ZodType<El>;

const column = z.strictObject({
  tag: z.literal("column"),
  ...common,
  width: z.union([z.enum(["auto", "weighted"]), z.string().regex(px)]).optional(),
  weight: z.number().int().min(1).max(5).optional(),
  vertical_align: z.enum(["top", "center", "bottom"]).optional(),
  horizontal_align: z.enum(["left", "center", "right"]).optional(),
  vertical_spacing: spacing.optional(),
  horizontal_spacing: spacing.optional(),
  direction: z.enum(["vertical", "horizontal"]).optional(),
  padding: z.string().optional(),
  background_style: z.string().optional(),
  get elements() {
    return z.array(element);
  },
});

const columnSet = z.strictObject({
  tag: z.literal("column_set"),
  ...common,
  flex_mode: z.enum(["none", "stretch", "flow", "bisect", "trisect"]).optional(),
  horizontal_spacing: spacing.optional(),
  horizontal_align: z.enum(["left", "center", "right"]).optional(),
  background_style: z.string().optional(),
  columns: z.array(column).min(1),
});

// 表单容器: root only, not nested, no table inside; every interactive component inside needs a card-unique name.
const form = z.strictObject({
  tag: z.literal("form"),
  ...common,
  name: z.string().min(1),
  direction: z.enum(["vertical", "horizontal"]).optional(),
  vertical_spacing: spacing.optional(),
  horizontal_spacing: spacing.optional(),
  padding: z.string().optional(),
  get elements() {
    return z.array(element);
  },
});

const cardSchema = z.strictObject({
  schema: z.literal("2.0"),
  config: config.optional(),
  header: header.optional(),
  body: z.strictObject({
    direction: z.enum(["vertical", "horizontal"]).optional(),
    padding: z.string().optional(),
    vertical_spacing: spacing.optional(),
    horizontal_spacing: spacing.optional(),
    elements: z.array(element),
  }),
});

const INTERACTIVE = new Set(["button", "select_static", "input"]);

/** Placement rules the component pages state, which a per-object schema cannot express. */
function placementProblems(card: { body: { elements: El[] } }): string[] {
  const problems: string[] = [];
  const names = new Map<string, number>();
  let tables = 0;
  const walk = (els: El[], path: string, depth: number, inForm: boolean, inColumn: boolean) => {
    if (depth > 5) problems.push(`${path}: nested deeper than 5 levels`);
    els.forEach((e, k) => {
      const here = `${path}[${k}]<${e.tag}>`;
      if (e.tag === "table") {
        tables++;
        if (depth > 1) problems.push(`${here}: a table may only be at the root of the body`);
      }
      if (e.tag === "form" && (depth > 1 || inForm || inColumn)) problems.push(`${here}: a form may only be at the root of the body`);
      if (INTERACTIVE.has(e.tag)) {
        const name = typeof e["name"] === "string" ? e["name"] : undefined;
        if (inForm && !name) problems.push(`${here}: inside a form every interactive component needs a name (client error 200530)`);
        if (name) names.set(name, (names.get(name) ?? 0) + 1);
        if (!inForm && e["required"] !== undefined) problems.push(`${here}: "required" only works inside a form`);
        if (!inForm && e["form_action_type"] !== undefined) problems.push(`${here}: form_action_type outside a form`);
      }
      if (e.tag === "select_static") {
        const opts = e["options"] as { value: string; text: { content: string } }[];
        if (new Set(opts.map((o) => o.value)).size !== opts.length) problems.push(`${here}: option values repeat`);
        const k = e["initial_index"];
        if (typeof k === "number" && k > opts.length) problems.push(`${here}: initial_index ${k} points past the ${opts.length} options`);
        const io = e["initial_option"];
        if (typeof io === "string" && !opts.some((o) => o.value === io || o.text.content === io)) problems.push(`${here}: initial_option "${io}" matches no option`);
      }
      if (e.tag === "input" && e["input_type"] !== "multiline_text" && (e["rows"] !== undefined || e["auto_resize"] !== undefined || e["max_rows"] !== undefined)) {
        problems.push(`${here}: rows/auto_resize/max_rows need input_type multiline_text`);
      }
      if (e.tag === "column_set") {
        (e["columns"] as { elements?: El[] }[]).forEach((c, j) => walk(c.elements ?? [], `${here}.columns[${j}]`, depth + 2, inForm, true));
      }
      if (e.tag === "form") walk(e["elements"] as El[], `${here}`, depth + 1, true, inColumn);
    });
  };
  walk(card.body.elements, "body", 1, false, false);
  for (const [name, n] of names) if (n > 1) problems.push(`name "${name}" is used ${n} times; names must be unique in the card`);
  if (tables > 5) problems.push(`${tables} tables; a card holds at most 5`);
  return problems;
}

export interface LintResult {
  problems: string[];
  elements: number;
  bytes: number;
}

/** Every reason Feishu would reject or mis-render this card, as readable lines (empty when it passes). */
export function lintCard(card: unknown): LintResult {
  const problems: string[] = [];
  const parsed = cardSchema.safeParse(card);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${i.path.join(".")}: ${i.message}`);
  } else {
    problems.push(...placementProblems(parsed.data as unknown as { body: { elements: El[] } }));
  }
  const elements = countElements(card);
  const bytes = cardBytes(card);
  if (elements > CARD_LIMITS.elements) problems.push(`${elements} elements; Feishu allows ${CARD_LIMITS.elements} (11310)`);
  if (bytes > CARD_LIMITS.bytes) problems.push(`${bytes} bytes; Feishu allows ${CARD_LIMITS.bytes} (230025)`);
  return { problems, elements, bytes };
}
