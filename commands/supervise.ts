import { esc } from "../cards/elements.js";
import { timelineCard } from "../cards/cuiban.js";
import { errorCard, noticeCard } from "../cards/notice.js";
import { reportFormCard } from "../cards/report-form.js";
import { resolveActor } from "../src/domain/actors.js";
import { unitTasks } from "../src/domain/tasks.js";
import { lookupUnits, unitLabel } from "../src/domain/units-lookup.js";
import type { CardActionDef, CommandDef } from "../src/events/types.js";
import { cuiban } from "../src/supervision/cuiban.js";
import { overdueByUnit, postTongbao, tongbaoTargets } from "../src/supervision/tongbao.js";
import { tongbaoDoneCard, tongbaoPreviewCard } from "../cards/tongbao.js";
import { unitTimeline } from "../src/supervision/ledger.js";

const ONLY_SUPERVISORS = "只有督办室人员可以催办。如需督促，请联系督办室。";

/** 催办 button on a lagging unit's row in /进度 (supervisors only). */
export const cuibanAction: CardActionDef = {
  action: "cuiban",
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
    if (!actor.isSupervisor) return { toast: { type: "error", content: ONLY_SUPERVISORS } };
    const unit = await ctx.db.selectFrom("units").selectAll().where("id", "=", Number(ctx.action.value["unit_id"])).executeTakeFirst();
    if (!unit) return { toast: { type: "error", content: "找不到该单位，请重新发送 /进度" } };
    const r = await cuiban(ctx, actor.openId, unit);
    if (!r.ok) return { toast: { type: r.reason === "nothing_due" ? "info" : "warning", content: r.text } };
    const where = r.viaChat ? "本单位群" : `${r.recipients.length} 位成员（未绑定群，私信发送）`;
    return {
      toast: {
        type: "success",
        content: `已催办 ${unit.name}：${r.items} 项，发往${where}` + (r.count > 1 ? `；第 ${r.count} 次催办${r.urgent ? "，已加急" : ""}` : ""),
      },
    };
  },
};

/**
 * 上报 on a 催办 card in a unit's chat: the form goes only to the member who clicked, so the shared 催办 card
 * stays in the chat for everyone (replacing it would erase what was asked).
 */
export const cuibanReportAction: CardActionDef = {
  action: "cuiban_report",
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
    const unit = actor.units.find((u) => u.id === Number(ctx.action.value["unit_id"]));
    if (!unit) return { toast: { type: "error", content: "您不属于被催办的单位，不能代为填报" } };
    const indicators = (await unitTasks(ctx.db, unit, ctx.clock.now())).flatMap((t) => t.indicators);
    const id = Number(ctx.action.value["indicator_id"]);
    if (!indicators.some((i) => i.id === id)) return { toast: { type: "error", content: "该指标不属于您的单位，不能代为填报" } };
    const form = reportFormCard({ unit, indicators, selectedId: id, issuedAt: ctx.clock.now().toISOString(), nonce: crypto.randomUUID() });
    if (ctx.action.chatId) await ctx.messenger.ephemeral(ctx.action.chatId, actor.openId, form, { chatId: ctx.action.chatId });
    else await ctx.messenger.sendToUser(actor.openId, form);
    return { toast: { type: "info", content: "填报表单已发给您（仅您可见）" } };
  },
};

/** /记录 单位: the unit's 督办 timeline (supervisors). */
export const record: CommandDef = {
  name: "记录",
  aliases: ["record", "留痕"],
  summary: "督办室：查看某单位的督办记录（提醒、催办、加急、通报、上报）",
  examples: ["/记录 区卫健委"],
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    if (!actor.isSupervisor && !actor.isAdmin) {
      await ctx.replyPrivately(errorCard("只有督办室人员可以查看督办记录。"));
      return;
    }
    const arg = ctx.args.trim();
    if (!arg) {
      await ctx.replyPrivately(noticeCard("请指定单位", "例如 /记录 区卫健委", "orange"));
      return;
    }
    const units = (await lookupUnits(ctx.db, arg)).filter((u) => u.kind === "unit");
    if (units.length === 0) {
      await ctx.replyPrivately(errorCard(`没有找到单位“${esc(arg)}”。请写单位名称，例如 /记录 区卫健委`));
      return;
    }
    if (units.length > 1) {
      await ctx.replyPrivately(noticeCard("单位不唯一", `“${esc(arg)}”对应 ${units.length} 个单位：${units.map((u) => esc(unitLabel(u))).join("、")}。请加上地区，例如 /记录 渝中区卫健委`, "orange"));
      return;
    }
    await ctx.replyPrivately(timelineCard(units[0]!, await unitTimeline(ctx.db, units[0]!.id)));
  },
};

/**
 * /通报 (supervisors): a preview only the sender sees, with 确认通报 / 取消. The 通报 itself is public on purpose
 * (the supervising chat, and with 本群 the group the command was sent in), so it never goes without the confirm.
 */
export const tongbao: CommandDef = {
  name: "通报",
  aliases: ["tongbao", "notice"],
  summary: "督办室：预览并公开通报逾期事项（按单位汇总，确认后发到督办群；加“本群”同时发到当前群）",
  examples: ["/通报", "/通报 本群"],
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    if (!actor.isSupervisor && !actor.isAdmin) {
      await ctx.replyPrivately(errorCard("只有督办室人员可以发布通报。"));
      return;
    }
    const arg = ctx.args.trim();
    if (arg && arg !== "本群") {
      await ctx.replyPrivately(noticeCard("通报", "发送 /通报 预览发往督办群的通报；在某个群里发送 /通报 本群 则同时发到该群。", "orange"));
      return;
    }
    if (arg === "本群" && ctx.message.chatType !== "group") {
      await ctx.replyPrivately(errorCard("“本群”只能在群里使用：请在要通报的群里发送 /通报 本群。"));
      return;
    }
    const extraChat = arg === "本群" ? ctx.message.chatId : null;
    const targets = await tongbaoTargets(ctx.db, extraChat);
    if (targets.length === 0) {
      await ctx.replyPrivately(errorCard("还没有督办群：请先在督办室的群里发送 /绑定 督办，或在要通报的群里发送 /通报 本群。"));
      return;
    }
    const units = await overdueByUnit(ctx.db, ctx.clock.now());
    if (units.length === 0) {
      await ctx.replyPrivately(noticeCard("无需通报", "目前没有逾期事项。", "green"));
      return;
    }
    const names = await ctx.db.selectFrom("chats").select(["chat_id", "name", "kind"]).where("chat_id", "in", targets).execute();
    const targetNames = targets.map((t) => {
      const c = names.find((n) => n.chat_id === t);
      return c?.name ?? (c?.kind === "supervisor" ? "督办群" : t === extraChat ? "本群" : t);
    });
    await ctx.replyPrivately(tongbaoPreviewCard(units, { targets, targetNames, nonce: crypto.randomUUID(), extraChat, at: ctx.clock.now().toISOString() }));
  },
};

export const tongbaoConfirm: CardActionDef = {
  action: "tongbao_confirm",
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
    if (!actor.isSupervisor && !actor.isAdmin) return { toast: { type: "error", content: "只有督办室人员可以发布通报。" } };
    const nonce = String(ctx.action.value["nonce"] ?? "");
    if (!nonce) return { toast: { type: "error", content: "这张预览已失效，请重新发送 /通报" } };
    const extra = String(ctx.action.value["extra_chat"] ?? "") || null;
    const r = await postTongbao(ctx, actor.openId, nonce, extra);
    if (!r.ok) return { toast: { type: "warning", content: r.text } };
    const text = `已通报 ${r.units} 个单位 ${r.items} 项逾期事项，发往 ${r.targets.length} 个群，已记录在案。`;
    return { toast: { type: "success", content: text }, card: { type: "raw", data: tongbaoDoneCard(text, "green") } };
  },
};

export const tongbaoCancel: CardActionDef = {
  action: "tongbao_cancel",
  async handle() {
    return { toast: { type: "info", content: "已取消，未发出任何通报" }, card: { type: "raw", data: tongbaoDoneCard("已取消，未发出任何通报。", "grey") } };
  },
};
