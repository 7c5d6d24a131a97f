import { button, card, esc, hr, md, truncate } from "./elements.js";
import { shortPlace } from "./digest.js";
import { chinaTime } from "./format.js";
import type { Card } from "./types.js";
import type { Unit } from "../src/store/schema.js";

export interface TongbaoUnit {
  unit: Unit;
  indicators: { key: string; name: string }[];
  measures: { key: string; name: string; deadline: string }[];
}

/** Units per card: one markdown element each, far below 200 elements, and a 30 KB card holds this many comfortably. */
const MAX_UNITS = 40;
const MAX_NAMES = 5;

function unitLines(units: TongbaoUnit[]): unknown[] {
  const shown = units.slice(0, MAX_UNITS).map((u) => {
    const names = [...u.indicators.map((i) => i.name), ...u.measures.map((m) => `${m.name}（时限 ${m.deadline}）`)];
    const total = names.length;
    return md(
      `**${esc(u.unit.name)}（${esc(shortPlace(u.unit.jurisdiction))}）**　逾期 <font color='red'>${total}</font> 项` +
        `（指标 ${u.indicators.length}，措施 ${u.measures.length}）\n` +
        names.slice(0, MAX_NAMES).map((n) => `· ${esc(truncate(n, 50))}`).join("\n") +
        (total > MAX_NAMES ? `\n· 等 ${total} 项` : ""),
    );
  });
  if (units.length > MAX_UNITS) shown.push(md(`另有 ${units.length - MAX_UNITS} 个单位有逾期事项，详见 /导出 台账。`));
  return shown;
}

/** The public 通报: overdue items by unit, most first. */
export function tongbaoCard(units: TongbaoUnit[], o: { actorOpenId: string; at: string }): Card {
  const items = units.reduce((a, u) => a + u.indicators.length + u.measures.length, 0);
  return card("督办通报 · 逾期事项", [
    md(`截至 ${chinaTime(o.at)}，共 **${units.length}** 个单位 **${items}** 项逾期未落实，请相关单位抓紧办理并及时上报。`),
    hr(),
    ...unitLines(units),
    hr(),
    md(`<font color='grey'>督办室 <at id="${o.actorOpenId}"></at> 发布。本通报已记录在案。</font>`),
  ], { color: "red", summary: `督办通报：${units.length} 个单位 ${items} 项逾期` });
}

/** What the supervisor sees before posting: the same list, where it will go, and 确认通报 / 取消. */
export function tongbaoPreviewCard(units: TongbaoUnit[], o: { targets: string[]; targetNames: string[]; nonce: string; extraChat: string | null; at: string }): Card {
  const items = units.reduce((a, u) => a + u.indicators.length + u.measures.length, 0);
  return card("通报预览（尚未发出）", [
    md(`将向 **${o.targetNames.map(esc).join("、")}** 公开通报 **${units.length}** 个单位 **${items}** 项逾期事项。通报是公开的，发出后所有群成员可见，并记录在案。`),
    hr(),
    ...unitLines(units),
    hr(),
    {
      tag: "column_set",
      flex_mode: "none",
      horizontal_spacing: "8px",
      columns: [
        { tag: "column", width: "auto", elements: [button("确认通报", { action: "tongbao_confirm", nonce: o.nonce, extra_chat: o.extraChat ?? "" }, { type: "danger" })] },
        { tag: "column", width: "auto", elements: [button("取消", { action: "tongbao_cancel", nonce: o.nonce })] },
      ],
    },
  ], { color: "orange", summary: "通报预览：确认后才会发出" });
}

export function tongbaoDoneCard(text: string, color: "green" | "grey"): Card {
  return card(color === "green" ? "通报已发出" : "通报已取消", [md(esc(text))], { color });
}
