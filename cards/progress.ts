import type { IndicatorStatus } from "../src/domain/status.js";
import type { UnreportableReason, UnreportableUnit } from "../src/domain/progress.js";
import type { TaskView } from "../src/domain/tasks.js";
import { button, card, esc, hr, md, rowWithButton, table, truncate } from "./elements.js";
import { latestText, statusBadge, targetText } from "./format.js";
import type { Card } from "./types.js";

export interface UnitProgressRow {
  /** Set by the store query; the 催办 button names the unit by id. */
  unitId?: number;
  unitName: string;
  jurisdiction: string;
  counts: Record<IndicatorStatus, number>;
  indicators: number;
  /** Indicators reported for their current period / all indicators the unit leads. */
  completeness: number;
}

export interface ProgressInput {
  title: string;
  rows: UnitProgressRow[];
  /** Indicators furthest behind, already sorted. */
  behind: { name: string; unitName: string; text: string }[];
  scopeNote: string;
  /** Units and groups leading measures nobody can report for yet (no official, or a group without staffed members). */
  unreportable?: UnreportableUnit[];
  /** The viewer is a supervisor: lagging units get a 催办 button. */
  cuiban?: boolean;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Units behind for their current period or with an overdue indicator, least complete first: who gets pushed. */
export const laggingRows = (rows: UnitProgressRow[]) =>
  rows.filter((r) => r.unitId !== undefined && (r.completeness < 1 || r.counts.overdue > 0))
    .sort((a, b) => a.completeness - b.completeness || b.indicators - a.indicators);

const WHY_NOBODY: Record<UnreportableReason, string> = {
  group_empty: "分组，名册中还没有成员单位",
  group_unstaffed: "分组的成员单位都还没有人绑定",
  no_official: "还没有人绑定该单位",
};

/**
 * 无人可填报: who leads measures that nobody can report for, why, and how it is fixed. Listed, not dropped, so the
 * supervisor sees the gap rather than a table that silently leaves those indicators out.
 */
export function unreportableBlock(list: UnreportableUnit[], max: number): unknown[] {
  if (list.length === 0) return [];
  const indicators = list.reduce((a, u) => a + u.indicators.length, 0);
  const lines = list.slice(0, max).map((u, k) => {
    const names = u.indicators.slice(0, 3).map(esc).join("、") + (u.indicators.length > 3 ? "等" : "");
    return `${k + 1}. ${esc(u.unitName)}（${esc(u.jurisdiction)}）：${WHY_NOBODY[u.reason]} · 牵头 ${u.measures} 项措施、${u.indicators.length} 个指标${names ? `：${names}` : ""}`;
  });
  const rest = list.slice(max);
  if (rest.length) lines.push(`另有 ${rest.length} 个单位或分组（${rest.reduce((a, u) => a + u.indicators.length, 0)} 个指标）`);
  return [hr(), md(`**无人可填报**（${list.length} 个单位或分组牵头的 ${indicators} 个指标目前没有人能填报）\n${lines.join("\n")}\n` +
    "<font color='grey'>分组由运维人员用 npm run roster 登记成员单位；单位人员发送 /绑定 单位名称 申请绑定，管理员批准后即可填报。</font>")];
}

/**
 * The lagging units as rows with a 催办 button (tables hold no buttons), at most `max` of them; the rest are
 * counted with `more` saying how to reach them. Every card offering 催办 (/进度, the supervisor digest) uses this,
 * so the button carries the same value and runs the same handler and rules.
 */
export function cuibanBlock(rows: UnitProgressRow[], max: number, more: string): unknown[] {
  const lagging = laggingRows(rows);
  if (lagging.length === 0) return [];
  const out: unknown[] = [hr(), md("**催办**　向未填报或有逾期指标的单位发送催办（留痕）")];
  for (const r of lagging.slice(0, max)) {
    out.push(rowWithButton(`${esc(r.unitName)}（${esc(r.jurisdiction)}）　未填报 ${r.counts.not_reported}　逾期 ${r.counts.overdue}　填报率 ${pct(r.completeness)}`,
      button("催办", { action: "cuiban", unit_id: r.unitId }, { type: "danger" })));
  }
  if (lagging.length > max) out.push(md(`另有 ${lagging.length - max} 个单位，${more}`));
  return out;
}

/** 进度: a table per unit (counts by status, completeness) and the indicators furthest behind. */
export function progressCard({ title, rows, behind, scopeNote, unreportable = [], cuiban }: ProgressInput): Card {
  const total = rows.reduce((a, r) => a + r.indicators, 0);
  const elements: unknown[] = [md(`${esc(scopeNote)}　共 **${rows.length}** 个单位、**${total}** 个指标`)];
  if (rows.length > 0) {
    elements.push(table(
      [
        ["unit", "单位", "text", "auto"], ["indicators", "指标", "number", "80px"], ["achieved", "已达标", "number", "80px"],
        ["on_track", "正常", "number", "80px"], ["behind", "滞后", "number", "80px"], ["overdue", "逾期", "number", "80px"],
        ["not_reported", "未填报", "number", "80px"], ["completeness", "本期填报率", "text", "100px"],
      ],
      rows.map((r) => ({
        unit: `${r.unitName}（${r.jurisdiction}）`,
        indicators: r.indicators,
        achieved: r.counts.achieved,
        on_track: r.counts.on_track,
        behind: r.counts.behind,
        overdue: r.counts.overdue,
        not_reported: r.counts.not_reported,
        completeness: pct(r.completeness),
      })),
    ));
  }
  if (cuiban) elements.push(...cuibanBlock(rows, 10, "发送 /进度 单位名称 逐个催办"));
  if (behind.length > 0) {
    elements.push(hr(), md(`**滞后最多的指标**\n${behind.slice(0, 10).map((b, k) => `${k + 1}. ${esc(b.unitName)} · ${esc(b.name)}：${esc(b.text)}`).join("\n")}` +
      (behind.length > 10 ? `\n另有 ${behind.length - 10} 项` : "")));
  }
  elements.push(...unreportableBlock(unreportable, 10));
  return card(title, elements, { color: behind.length || unreportable.length ? "orange" : "green", summary: title });
}

/** 进度 for one task: its units and each indicator's state. */
export function taskProgressCard(t: TaskView): Card {
  const lines = t.indicators.map((i) => `· ${esc(i.name)}　目标 ${esc(targetText(i))}　最新 ${esc(latestText(i))}　${statusBadge(i.status.status)}`);
  return card(`任务进度 · [${t.code}]`, [
    md(`${t.title ? `**${esc(t.title)}**\n` : ""}${esc(truncate(t.text, 200))}`),
    md(`责任单位：${t.units.map((u) => (u.role === "lead" ? `**${esc(u.name)}**（牵头）` : esc(u.name))).join("、")}` +
      (t.deadline ? `\n截止：${t.deadline}` : t.deadlineText ? `\n时限：${esc(t.deadlineText)}` : "")),
    md(lines.length ? lines.join("\n") : "该任务没有量化指标。"),
  ], { subtitle: truncate(t.planTitle, 40) });
}
