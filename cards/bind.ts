import { unitLabel } from "../src/domain/units-lookup.js";
import type { Unit } from "../src/store/schema.js";
import { button, card, esc, md } from "./elements.js";
import { chinaTime } from "./format.js";
import type { Card } from "./types.js";

/** Sent to each admin: who asks to join which unit, with approve / reject. */
export function bindRequestCard(r: { requestId: number; openId: string; unit: Unit; requestedAt: string; departments?: { id: string; name: string }[] }): Card {
  const depts = (r.departments ?? []).filter((d) => /^od-[0-9a-zA-Z_-]{1,64}$/.test(d.id));
  return card("绑定申请待确认", [
    md(`<at id="${r.openId}"></at> 申请绑定到 **${esc(unitLabel(r.unit))}**\n申请时间 ${chinaTime(r.requestedAt)}`),
    ...(depts.length
      ? [md(`所在飞书部门：${depts.map((d) => `${esc(d.name || "（未知名称）")} ${esc(d.id)}`).join("；")}\n整个部门都属于该单位时，可发送 /绑定部门 ${esc(depts[0]!.id)} ${esc(unitLabel(r.unit))}`)]
      : []),
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
      ? `您已绑定到 **${esc(unitLabel(r.unit))}**（管理员 <at id="${r.byOpenId}"></at> 确认）。发送 /我的任务 查看本单位任务。`
      : `绑定到 **${esc(unitLabel(r.unit))}** 的申请未通过（管理员 <at id="${r.byOpenId}"></at>）。如单位填错，请发送 /绑定 单位名称 重新申请。`),
  ], { color: r.approved ? "green" : "grey" });
}

/** Replaces the request card on the admin's screen: who was approved or refused, for which unit, by whom. */
export function bindHandledCard(r: { approved: boolean; unit: Unit; requesterOpenId: string; byOpenId: string; at: string }): Card {
  return card(r.approved ? "已同意绑定申请" : "已拒绝绑定申请", [
    md(r.approved
      ? `已同意 <at id="${r.requesterOpenId}"></at> 绑定到 **${esc(unitLabel(r.unit))}**。\n处理人 <at id="${r.byOpenId}"></at>　${chinaTime(r.at)}\n<font color='grey'>对方已收到通知，可发送 /我的任务 查看本单位任务。</font>`
      : `已拒绝 <at id="${r.requesterOpenId}"></at> 绑定到 **${esc(unitLabel(r.unit))}** 的申请。\n处理人 <at id="${r.byOpenId}"></at>　${chinaTime(r.at)}\n<font color='grey'>对方已收到通知，可重新发送 /绑定 单位名称 申请。</font>`),
  ], { color: r.approved ? "green" : "grey" });
}

/**
 * A name that fits several units, or none exactly but some closely (near): one button per unit, so nobody has to
 * guess how the place or the full name is spelled.
 */
export function unitCandidatesCard(r: { typed: string; units: Unit[]; near?: boolean; action: "bind_pick"; mode: "self" | "chat" }): Card {
  const target = r.mode === "chat" ? "把本群绑定到" : "绑定到";
  return card("请选择单位", [
    md(r.near
      ? `没有名称正好是“${esc(r.typed)}”的单位。相近的有 ${r.units.length} 个，请点选您要${target}的单位：\n<font color='grey'>都不是？请按任务文件中印发的名称重新发送 ${r.mode === "chat" ? "/绑定群" : "/绑定"} 单位名称。</font>`
      : `“${esc(r.typed)}”对应 ${r.units.length} 个单位（不同地区同名），请点选您要${target}的单位：`),
    ...r.units.slice(0, 20).map((u) => button(unitLabel(u), { action: r.action, unit_id: u.id, mode: r.mode })),
  ], { color: "blue" });
}
