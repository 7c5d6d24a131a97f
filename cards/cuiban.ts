import { unitLabel } from "../src/domain/units-lookup.js";
import type { TimelineEntry } from "../src/supervision/ledger.js";
import type { Unit } from "../src/store/schema.js";
import { button, card, esc, hr, md, rowWithButton, truncate } from "./elements.js";
import { chinaTime } from "./format.js";
import type { Card } from "./types.js";

export interface CuibanItem {
  /** Stable key of what is asked for, e.g. "indicator:21@2026Q4". */
  key: string;
  indicatorId: number;
  name: string;
  reason: "missing" | "overdue";
  /** What is missing or overdue, and by when, in words. */
  text: string;
}

/** Buttons per card: each item row is 5 elements, and a card holds at most 200. */
const MAX_ROWS = 15;

export interface CuibanCardInput {
  unit: Unit;
  actorOpenId: string;
  items: CuibanItem[];
  /** "2026年11月27日" */
  due: string;
  /** Which 催办 of these items this is (1 = first). */
  count: number;
  /** Sent to a member privately (no bound chat): 上报 replaces this card; in a chat the form comes only-you. */
  privateSend: boolean;
  issuedAt: string;
}

/** 催办: who asks, what is missing or overdue, by when, with a 上报 button per item. */
export function cuibanCard({ unit, actorOpenId, items, due, count, privateSend, issuedAt }: CuibanCardInput): Card {
  const elements: unknown[] = [
    md(`督办室 <at id="${actorOpenId}"></at> 催办：以下 **${items.length}** 项请于 **${due}** 前完成上报。`),
    hr(),
  ];
  for (const i of items.slice(0, MAX_ROWS)) {
    const action = privateSend ? "open_report_form" : "cuiban_report";
    elements.push(rowWithButton(`**${esc(truncate(i.name, 40))}**\n${i.reason === "overdue" ? "<font color='red'>" + esc(i.text) + "</font>" : esc(i.text)}`,
      button("上报", { action, indicator_id: i.indicatorId, unit_id: unit.id }, { type: "primary" })));
  }
  if (items.length > MAX_ROWS) elements.push(md(`另有 ${items.length - MAX_ROWS} 项，发送 /我的任务 查看全部。`));
  elements.push(md(`<font color='grey'>${chinaTime(issuedAt)} 催办，本次催办已记录在案。填报后督办室即可在 /进度 看到。</font>`));
  return card(`催办 · ${unitLabel(unit)}`, elements, {
    color: count >= 2 ? "red" : "orange",
    subtitle: count >= 2 ? `第 ${count} 次催办` : "督办提醒",
    summary: `催办：${items.length} 项请于 ${due} 前上报`,
  });
}

/** What the local outbox shows for an urgent notification (Lark itself shows the buzzed message). */
export function urgentNoticeCard(unit: Unit, openIds: string[], count: number): Card {
  return card(`应用内加急 · ${unit.name}`, [md(`第 ${count} 次催办，已对 ${openIds.map((o) => `<at id="${o}"></at>`).join(" ")} 发送飞书应用内加急。`)], { color: "red" });
}

const KIND_LABEL: Record<TimelineEntry["kind"], string> = { reminder: "提醒", cuiban: "催办", urgent: "加急", tongbao: "通报", report: "上报" };

function deliveryText(e: TimelineEntry): string {
  if (e.kind === "report") return "";
  if (e.deliveries.length === 0) return "　<font color='grey'>待送达</font>";
  const failed = e.deliveries.filter((d) => d.result === "failed");
  if (failed.length === 0) return `　<font color='green'>已送达 ${e.deliveries.length}</font>`;
  return `　<font color='red'>失败 ${failed.length}：${esc(truncate(failed[0]!.error ?? "", 40))}</font>`;
}

/** /记录: a unit's 督办 timeline, newest first. */
export function timelineCard(unit: Unit, entries: TimelineEntry[]): Card {
  const lines = entries.map((e) => {
    const who = e.actorOpenId ? `<at id="${e.actorOpenId}"></at>` : "系统";
    const whom = e.kind === "report" ? "" : ` → ${e.recipients.length} 个对象`;
    return `${chinaTime(e.at)}　**${KIND_LABEL[e.kind]}**　${who}${whom}　${esc(truncate(e.summary, 60))}${deliveryText(e)}`;
  });
  return card(`督办记录 · ${unitLabel(unit)}`, [
    md(lines.length ? lines.join("\n") : "暂无督办记录。"),
    md("<font color='grey'>记录只增不改：提醒、催办、加急、通报与上报均按时间留痕。</font>"),
  ], { summary: `督办记录 · ${unit.name}` });
}
