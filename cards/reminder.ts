import { unitLabel } from "../src/domain/units-lookup.js";
import type { ReminderItem } from "../src/reminders/plan.js";
import type { Unit } from "../src/store/schema.js";
import { button, card, esc, hr, md, rowWithButton, truncate } from "./elements.js";
import type { Card } from "./types.js";

/** Rows with a 上报 button (5 elements each); a card holds at most 200 elements. */
const MAX_BUTTON_ROWS = 15;

/**
 * 督办提醒: indicators without a value shortly before their period closes, measures near their deadline, and what
 * has just become overdue. Each indicator has a 上报 button; in a chat the form comes only to the member who clicks.
 */
export function reminderCard(unit: Unit, items: ReminderItem[], o: { privateSend: boolean }): Card {
  const overdue = items.filter((i) => i.reason === "overdue");
  const soon = items.filter((i) => i.reason === "due_soon");
  const elements: unknown[] = [md(`以下 **${items.length}** 项${overdue.length ? `（其中 ${overdue.length} 项已逾期）` : ""}请及时办理：`), hr()];
  let rows = 0;
  const measures: string[] = [];
  for (const i of [...overdue, ...soon]) {
    const text = i.reason === "overdue" ? `<font color='red'>${esc(i.text)}</font>` : esc(i.text);
    if (i.kind === "indicator" && rows < MAX_BUTTON_ROWS) {
      rows++;
      const value = { action: "open_report_form", indicator_id: i.indicatorId, unit_id: unit.id, ...(o.privateSend ? {} : { shared: true }) };
      elements.push(rowWithButton(`**${esc(truncate(i.name, 40))}**\n${text}`, button("上报", value, { type: "primary" })));
    } else {
      measures.push(`**${esc(truncate(i.name, 40))}**：${text}`);
    }
  }
  // Measures (and indicators past the button budget) share one markdown element, cut to keep the card small.
  if (measures.length) elements.push(md(measures.slice(0, 30).join("\n") + (measures.length > 30 ? `\n另有 ${measures.length - 30} 项，发送 /我的任务 查看。` : "")));
  elements.push(md("<font color='grey'>督办提醒由系统按期限自动发送，每项只提醒一次，已记录在案。发送 /我的任务 查看全部任务。</font>"));
  return card(`督办提醒 · ${unitLabel(unit)}`, elements, {
    color: overdue.length ? "red" : "orange",
    subtitle: overdue.length ? "有事项已逾期" : "即将到期",
    summary: `督办提醒：${items.length} 项待办${overdue.length ? `，${overdue.length} 项已逾期` : ""}`,
  });
}
