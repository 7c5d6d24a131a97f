import type { CardActionResponse } from "../../cards/types.js";

/**
 * Cards as terminal text: what `npm run chat` prints and what card snapshots in tests read like. Buttons and form
 * fields are listed with the short names `--click` and `--field` accept.
 */
type El = Record<string, unknown> & { tag?: string };

/** Display width: CJK and full-width characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}
const pad = (s: string, w: number) => s + " ".repeat(Math.max(0, w - displayWidth(s)));

export function markdownToText(md: string): string {
  return md
    .replace(/<at id="?([^">]+)"?><\/at>/g, "@$1")
    .replace(/<font color='?"?(\w+)'?"?>(.*?)<\/font>/g, (_m, color: string, t: string) => (color === "grey" ? t : `‹${t}›`))
    .replace(/\*\*(.*?)\*\*/g, "$1")
    // Last: text escaped with numeric entities (cards/elements.ts esc) shows as the characters it stands for.
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
}

const text = (v: unknown) => (v && typeof v === "object" && "content" in v ? String((v as { content: unknown }).content) : "");

function buttonLabel(b: El): string {
  return `[${text(b["text"])}]`;
}

function renderTable(t: El): string[] {
  const cols = (t["columns"] as { name: string; display_name: string }[]) ?? [];
  const rows = (t["rows"] as Record<string, unknown>[]) ?? [];
  const cell = (v: unknown) => (Array.isArray(v) ? v.map((o) => String((o as { text?: string }).text ?? "")).join(",") : String(v ?? ""));
  const widths = cols.map((c) => Math.max(displayWidth(c.display_name), ...rows.map((r) => displayWidth(cell(r[c.name])))));
  const line = (vals: string[]) => `│ ${vals.map((v, k) => pad(v, widths[k]!)).join(" │ ")} │`;
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  return [rule("┌", "┬", "┐"), line(cols.map((c) => c.display_name)), rule("├", "┼", "┤"), ...rows.map((r) => line(cols.map((c) => cell(r[c.name])))), rule("└", "┴", "┘")];
}

function renderChart(c: El): string[] {
  const spec = (c["chart_spec"] ?? {}) as { data?: { values?: Record<string, unknown>[] }; xField?: string; yField?: string };
  const values = spec.data?.values ?? [];
  // A horizontal bar chart puts the number on x and the label on y; read whichever field holds numbers as the value.
  const numeric = (f: string | undefined) => f !== undefined && values.length > 0 && values.every((v) => Number.isFinite(Number(v[f])));
  const [labelField, valueField] = numeric(spec.yField) || !numeric(spec.xField) ? [spec.xField ?? "", spec.yField ?? ""] : [spec.yField ?? "", spec.xField ?? ""];
  const max = Math.max(1, ...values.map((v) => Number(v[valueField] ?? 0)));
  const labelW = Math.max(0, ...values.map((v) => displayWidth(String(v[labelField] ?? ""))));
  return ["（图表）", ...values.map((v) => {
    const n = Number(v[valueField] ?? 0);
    return `${pad(String(v[labelField]), labelW)} ${"█".repeat(Math.round((n / max) * 20))} ${n}`;
  })];
}

function renderElements(elements: El[], out: string[], indent = "") {
  for (const e of elements) {
    switch (e.tag) {
      case "markdown":
        out.push(...markdownToText(String(e["content"] ?? "")).split("\n").map((l) => indent + l));
        break;
      case "hr":
        out.push(indent + "────────────────────────────");
        break;
      case "button":
        out.push(indent + buttonLabel(e));
        break;
      case "column_set": {
        const parts: string[] = [];
        for (const col of (e["columns"] as El[]) ?? []) {
          const sub: string[] = [];
          renderElements((col["elements"] as El[]) ?? [], sub);
          parts.push(sub.join("\n"));
        }
        const [first, ...rest] = parts;
        out.push(...`${first ?? ""}${rest.length ? `  ${rest.join("  ")}` : ""}`.split("\n").map((l) => indent + l));
        break;
      }
      case "table":
        out.push(...renderTable(e).map((l) => indent + l));
        break;
      case "chart":
        out.push(...renderChart(e).map((l) => indent + l));
        break;
      case "form":
        out.push(indent + "┌ 表单");
        renderElements((e["elements"] as El[]) ?? [], out, indent + "│ ");
        out.push(indent + "└");
        break;
      case "input": {
        const label = text(e["label"]) || text(e["placeholder"]) || String(e["name"]);
        const dv = e["default_value"] ? `（默认 ${String(e["default_value"])}）` : "";
        out.push(`${indent}${label}=${e["required"] ? " *必填" : ""}${dv}  ‹${text(e["placeholder"])}›`);
        break;
      }
      case "select_static": {
        const opts = (e["options"] as { text: unknown; value: string }[]) ?? [];
        const init = initialOption(e);
        out.push(`${indent}${text(e["placeholder"]) || String(e["name"])}=（选择 ${opts.length} 项之一${init ? `，已选 ${init}` : ""}）`);
        for (const o of opts.slice(0, 8)) out.push(`${indent}  ${o.value === init ? "●" : "○"} ${o.value}: ${text(o.text)}`);
        if (opts.length > 8) out.push(`${indent}  … 另有 ${opts.length - 8} 项`);
        break;
      }
      default:
        out.push(`${indent}(${String(e.tag)})`);
    }
  }
}

export function renderCard(card: unknown): string {
  const c = card as { header?: { title?: unknown; subtitle?: unknown }; body?: { elements?: El[] } };
  const out: string[] = [];
  const title = text(c.header?.title);
  if (title) {
    const sub = text(c.header?.subtitle);
    out.push(`━━ ${title} ━━${sub ? `  ${sub}` : ""}`);
  }
  renderElements(c.body?.elements ?? [], out);
  return out.join("\n");
}

export function renderCallbackResponse(r: CardActionResponse): string {
  const out: string[] = [];
  if (r.toast) out.push(`【提示·${r.toast.type}】${r.toast.content}`);
  if (r.card) out.push(renderCard(r.card.data));
  return out.join("\n");
}

/** The option value a select_static shows as chosen: its initial_index (1-based) or an initial_option. */
export function initialOption(select: Record<string, unknown>): string | null {
  const opts = (select["options"] as { value: string }[] | undefined) ?? [];
  const k = Number(select["initial_index"] ?? 0);
  if (k >= 1 && k <= opts.length) return opts[k - 1]!.value;
  return select["initial_option"] ? String(select["initial_option"]) : null;
}
