import { card, esc, md } from "./elements.js";
import type { Card } from "./types.js";

export type ChatBinding = { kind: "unit"; label: string } | { kind: "supervisor" } | null;

/**
 * Posted once when the bot is added to a group: what it is for, what this group is bound to, and the next step —
 * for an unbound group the /绑定群 line an admin types, with a unit of this tenant.
 */
export function groupWelcomeCard(r: { binding: ChatBinding; example: string; operatorOpenId: string | null; operatorIsAdmin: boolean }): Card {
  const who = r.operatorOpenId ? `<at id="${r.operatorOpenId}"></at> ` : "";
  const next = r.binding?.kind === "unit"
    ? `本群绑定到 **${esc(r.binding.label)}**：每周收到该单位的周报。`
    : r.binding?.kind === "supervisor"
      ? "本群是督办群：每周收到全部单位的周报汇总。"
      : `**下一步：** ${r.operatorIsAdmin ? `${who}请` : "请管理员"}在本群 @督办助手 发送 /绑定群 ${esc(r.example)}（换成本群所属单位），本群即每周收到该单位的周报；督办室的群发送 /绑定 督办。`;
  return card("督办助手已加入本群", [
    md("大家好！我是督办助手：各单位在这里查看牵头和配合的任务、填报指标数值，督办室在这里看进度和周报。"),
    md(next),
    md("成员：@督办助手 发送 /我的任务 查看本单位任务（只有您本人可见），/上报 填报数值。第一次使用请先私聊我发送 /绑定 单位名称。\n" +
      "<font color='grey'>发送 @督办助手 /帮助 查看全部命令。</font>"),
  ], { color: "blue" });
}
