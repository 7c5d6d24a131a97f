import type { SupervisorDigest, UnitDigest } from "../src/digest/build.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import { fits } from "./budget.js";
import { card, esc, hr, md, table } from "./elements.js";
import { cuibanBlock, unreportableBlock } from "./progress.js";
import { latestText, statusBadge, targetText } from "./format.js";
import type { Card } from "./types.js";

/** "重庆市渝中区" → "渝中区", "河北省石家庄市" → "石家庄市": the place a reader tells units apart by. */
export const shortPlace = (jurisdiction: string) => jurisdiction.replace(/^.*?省/, "").replace(/^.*?市(?=.+[区县市])/, "") || jurisdiction;

const cap = <T>(xs: T[], n: number, line: (x: T) => string) =>
  xs.slice(0, n).map(line).join("\n") + (xs.length > n ? `\n另有 ${xs.length - n} 项` : "");

export function unitDigestCard(d: UnitDigest): Card {
  const ind = (i: UnitDigest["indicators"][number]) => `· ${esc(i.name)}　目标 ${esc(targetText(i))}　最新 ${esc(latestText(i))}　${statusBadge(i.status.status)}`;
  const elements: unknown[] = [
    md(`牵头 **${d.led}** 项 · 配合 **${d.supported}** 项 · 牵头指标 **${d.indicators.length}** 个\n` +
      `本周填报 **${d.reportedThisWeek.length}** 个 · 本期未填报 **${d.missing.length}** 个 · 滞后 **${d.behind.length}** 个 · 逾期 **${d.overdue.indicators.length + d.overdue.tasks.length}** 项`),
  ];
  if (d.reportedThisWeek.length) elements.push(hr(), md(`**本周已填报**\n${cap(d.reportedThisWeek, 8, ind)}`));
  if (d.missing.length) elements.push(hr(), md(`**本期待填报**\n${cap(d.missing, 8, (i) => `· ${esc(i.name)}（${i.currentPeriod}）`)}`));
  if (d.behind.length) elements.push(hr(), md(`**进度滞后**\n${cap(d.behind, 8, ind)}`));
  if (d.dueSoon.length) elements.push(hr(), md(`**30 天内到期**\n${cap(d.dueSoon, 8, (t) => `· [${esc(t.code)}] ${esc(t.title ?? t.text.slice(0, 24))}　截止 ${t.deadline}`)}`));
  if (d.overdue.tasks.length || d.overdue.indicators.length) {
    elements.push(hr(), md(`**已逾期**\n${cap([...d.overdue.tasks.map((t) => `· [${esc(t.code)}] ${esc(t.title ?? t.text.slice(0, 24))}　截止 ${t.deadline}`), ...d.overdue.indicators.map(ind)], 8, (x) => x)}`));
  }
  elements.push(md("<font color='grey'>发送 /上报 填报数值，/我的任务 查看全部任务。</font>"));
  return card(`周报 · ${unitLabel(d.unit)}`, elements, { subtitle: d.week, color: d.behind.length || d.overdue.indicators.length ? "orange" : "blue", summary: `${d.unit.name}周报 ${d.week}` });
}

/** Most 催办 rows the digest offers; fewer when the card would pass its size budget. */
export const DIGEST_CUIBAN_ROWS = 15;

/**
 * The overall digest. With `cuiban` (a supervisor reads it, or it goes to the supervising office's chat) lagging
 * units get the same 催办 button as in /进度; the handler still refuses anyone who is not a supervisor.
 */
export function supervisorDigestCard(d: SupervisorDigest, o: { cuiban?: boolean } = {}): Card {
  if (!o.cuiban) return digestCard(d, 0);
  // A card is capped at 200 elements and 30 KB; each button row is six elements and half a kilobyte, so the rows
  // with buttons shrink until the whole card fits, and the rest are counted.
  for (let max = DIGEST_CUIBAN_ROWS; max > 0; max--) {
    const c = digestCard(d, max);
    if (fits(c)) return c;
  }
  return digestCard(d, 0);
}

function digestCard(d: SupervisorDigest, cuibanRows: number): Card {
  const pct = (x: number) => Math.round(x * 100);
  const elements: unknown[] = [
    md(`共 **${d.rows.length}** 个单位有牵头指标；本期填报率平均 **${d.rows.length ? pct(d.rows.reduce((a, r) => a + r.completeness, 0) / d.rows.length) : 0}%**`),
  ];
  if (d.rows.length) {
    const shown = d.rows.slice(0, 20);
    // Same-named offices of different places (市卫生健康局 of 贵阳 and of 调兵山) must not share a bar: each label
    // carries its place. Long Chinese labels read better down the side of horizontal bars than under vertical ones.
    elements.push({
      tag: "chart",
      height: `${Math.min(900, 60 + 28 * shown.length)}px`,
      color_theme: "brand",
      chart_spec: {
        type: "bar",
        direction: "horizontal",
        data: { values: shown.map((r) => ({ unit: `${r.unitName}（${shortPlace(r.jurisdiction)}）`, completeness: pct(r.completeness) })) },
        xField: "completeness",
        yField: "unit",
        axes: [{ orient: "bottom", max: 100, title: { visible: true, text: "本期填报率 %" } }, { orient: "left", type: "band" }],
      },
    });
    elements.push(table(
      [["rank", "排名", "number", "80px"], ["unit", "单位", "text", "auto"], ["completeness", "填报率", "text", "90px"], ["behind", "滞后", "number", "80px"], ["overdue", "逾期", "number", "80px"]],
      d.rows.map((r, k) => ({ rank: k + 1, unit: `${r.unitName}（${r.jurisdiction}）`, completeness: `${pct(r.completeness)}%`, behind: r.counts.behind, overdue: r.counts.overdue })),
    ));
  }
  if (cuibanRows > 0) elements.push(...cuibanBlock(d.rows, cuibanRows, "发送 /进度 单位名称 逐个催办"));
  if (d.escalated.length) {
    // Dates in China time, day only: the point is how long and how often, not the minute.
    const day = (iso: string) => { const t = new Date(Date.parse(iso) + 8 * 3_600_000); return `${t.getUTCMonth() + 1}/${t.getUTCDate()}`; };
    elements.push(hr(), md(`**<font color='red'>多次催办未落实</font>**（${d.escalated.length} 项）\n${cap(d.escalated, 10, (e) => `· ${esc(e.unitName)}（${esc(shortPlace(e.jurisdiction))}）· ${esc(e.name)}：催办 ${e.dates.length} 次（${e.dates.map(day).join("、")}），仍未上报`)}`));
  }
  elements.push(...unreportableBlock(d.unreportable, 10));
  if (d.behind.length) elements.push(hr(), md(`**距目标最远的指标**\n${cap(d.behind, 10, (b) => `· ${esc(b.unitName)} · ${esc(b.name)}：${esc(b.text)}`)}`));
  return card("督办周报 · 全部单位", elements, { subtitle: d.week, color: "indigo", summary: `督办周报 ${d.week}` });
}
