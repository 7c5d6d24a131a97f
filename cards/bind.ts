import { unitLabel } from "../src/domain/units-lookup.js";
import type { Unit } from "../src/store/schema.js";
import { button, card, md } from "./elements.js";
import { chinaTime } from "./format.js";
import type { Card } from "./types.js";

/** Sent to each admin: who asks to join which unit, with approve / reject. */
export function bindRequestCard(r: { requestId: number; openId: string; unit: Unit; requestedAt: string }): Card {
  return card("绑定申请待确认", [
    md(`<at id="${r.openId}"></at> 申请绑定到 **${unitLabel(r.unit)}**\n申请时间 ${chinaTime(r.requestedAt)}`),
    {
      tag: "column_set",
      flex_mode: "none",
      horizontal_spacing: "8px",
      columns: [
        { tag: "column", width: "auto", elements: [button("同意", { action: "approve_bind", request_id: r.requestId }, { type: "primary" })] },
        { tag: "column", width: "auto", elements: [button("拒绝", { action: "reject_bind", request_id: r.requestId }, { type: "danger" })] },
      ],
    },
  ], { color: "yellow" });
}

export function bindDecisionCard(r: { approved: boolean; unit: Unit; byOpenId: string }): Card {
  return card(r.approved ? "绑定已通过" : "绑定未通过", [
    md(r.approved
      ? `您已绑定到 **${unitLabel(r.unit)}**（管理员 <at id="${r.byOpenId}"></at> 确认）。发送 /我的任务 查看本单位任务。`
      : `绑定到 **${unitLabel(r.unit)}** 的申请未通过。如有疑问请联系管理员，或发送 /绑定 单位名称 重新申请。`),
  ], { color: r.approved ? "green" : "grey" });
}
