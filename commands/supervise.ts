import { timelineCard } from "../cards/cuiban.js";
import { errorCard, noticeCard } from "../cards/notice.js";
import { reportFormCard } from "../cards/report-form.js";
import { resolveActor } from "../src/domain/actors.js";
import { unitTasks } from "../src/domain/tasks.js";
import { lookupUnits, unitLabel } from "../src/domain/units-lookup.js";
import type { CardActionDef, CommandDef } from "../src/events/types.js";
import { cuiban } from "../src/supervision/cuiban.js";
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
      await ctx.replyPrivately(errorCard(`没有找到单位“${arg}”。请写单位名称，例如 /记录 区卫健委`));
      return;
    }
    if (units.length > 1) {
      await ctx.replyPrivately(noticeCard("单位不唯一", `“${arg}”对应 ${units.length} 个单位：${units.map(unitLabel).join("、")}。请加上地区，例如 /记录 渝中区卫健委`, "orange"));
      return;
    }
    await ctx.replyPrivately(timelineCard(units[0]!, await unitTimeline(ctx.db, units[0]!.id)));
  },
};
