import { bindDecisionCard, bindRequestCard } from "../cards/bind.js";
import { errorCard, noticeCard } from "../cards/notice.js";
import { resolveActor } from "../src/domain/actors.js";
import { lookupUnits, unitLabel } from "../src/domain/units-lookup.js";
import type { CardActionDef, CommandDef, Services } from "../src/events/types.js";
import type { Unit } from "../src/store/schema.js";

async function pickUnit(s: Services, name: string): Promise<{ unit?: Unit; error?: string }> {
  if (!name) return { error: "请写单位名称，例如 /绑定 区卫健委；同名单位较多时加上地区，例如 /绑定 渝中区区卫健委" };
  const found = (await lookupUnits(s.db, name)).filter((u) => u.kind === "unit");
  if (found.length === 0) return { error: `没有找到单位“${name}”。请按任务文件中印发的名称填写，例如 /绑定 区卫健委` };
  if (found.length > 1) {
    return { error: `“${name}”对应多个单位：\n${found.map((u) => `· ${unitLabel(u)}`).join("\n")}\n请加上地区重新发送，例如 /绑定 ${found[0]!.jurisdiction.replace(/^.*?[省市](?=.+[区县])/, "")}${found[0]!.name}` };
  }
  return { unit: found[0]! };
}

async function adminIds(s: Services): Promise<string[]> {
  const rows = await s.db.selectFrom("members").select("open_id").where("role", "=", "admin").execute();
  return [...new Set([...s.adminOpenIds, ...rows.map((r) => r.open_id)])];
}

export const bind: CommandDef = {
  name: "绑定",
  aliases: ["bind"],
  summary: "申请把自己绑定到单位（管理员确认）；管理员可把本群绑定到单位或设为督办群",
  examples: ["/绑定 区卫健委", "/绑定 群 区卫健委", "/绑定 督办"],
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    const now = ctx.clock.now().toISOString();
    const words = ctx.args.split(" ").filter(Boolean);
    if (words[0] === "督办" || words[0] === "群") {
      if (!actor.isAdmin) {
        await ctx.replyPrivately(errorCard("只有管理员可以绑定群。请联系管理员在本群发送该命令。"));
        return;
      }
      if (words[0] === "督办") {
        await ctx.db
          .insertInto("chats")
          .values({ chat_id: ctx.message.chatId, kind: "supervisor", unit_id: null, name: null, bound_by: actor.openId, bound_at: now })
          .onConflict((oc) => oc.column("chat_id").doUpdateSet({ kind: "supervisor", unit_id: null, bound_by: actor.openId, bound_at: now }))
          .execute();
        await ctx.reply(noticeCard("已设为督办群", "本群将收到全部单位的周报汇总。发送 /进度 查看全部单位进度。", "green"));
        return;
      }
      const { unit, error } = await pickUnit(ctx, words.slice(1).join(""));
      if (!unit) {
        await ctx.replyPrivately(errorCard(error!));
        return;
      }
      await ctx.db
        .insertInto("chats")
        .values({ chat_id: ctx.message.chatId, kind: "unit", unit_id: unit.id, name: null, bound_by: actor.openId, bound_at: now })
        .onConflict((oc) => oc.column("chat_id").doUpdateSet({ kind: "unit", unit_id: unit.id, bound_by: actor.openId, bound_at: now }))
        .execute();
      await ctx.reply(noticeCard("群已绑定", `本群已绑定到 **${unitLabel(unit)}**，每周将收到本单位周报。`, "green"));
      return;
    }
    const { unit, error } = await pickUnit(ctx, ctx.args.replace(/\s+/g, ""));
    if (!unit) {
      await ctx.replyPrivately(errorCard(error!));
      return;
    }
    if (actor.units.some((u) => u.id === unit.id)) {
      await ctx.replyPrivately(noticeCard("已绑定", `您已经是 **${unitLabel(unit)}** 的成员。`));
      return;
    }
    if (actor.isAdmin) {
      await ctx.db.insertInto("members").values({ open_id: actor.openId, unit_id: unit.id, role: "member", name: null, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
      await ctx.replyPrivately(noticeCard("已绑定", `您（管理员）已绑定到 **${unitLabel(unit)}**。`, "green"));
      return;
    }
    const pending = await ctx.db.selectFrom("bind_requests").select("id").where("open_id", "=", actor.openId).where("unit_id", "=", unit.id).where("status", "=", "pending").executeTakeFirst();
    const req = pending ?? (await ctx.db
      .insertInto("bind_requests")
      .values({ open_id: actor.openId, unit_id: unit.id, chat_id: ctx.message.chatId, status: "pending", requested_at: now, decided_by: null, decided_at: null })
      .returning("id")
      .executeTakeFirstOrThrow());
    const admins = await adminIds(ctx);
    for (const admin of admins) {
      await ctx.messenger.sendToUser(admin, bindRequestCard({ requestId: req.id, openId: actor.openId, unit, requestedAt: now }), { dedupeKey: `bind:${req.id}:${admin}` });
    }
    await ctx.replyPrivately(noticeCard("已提交绑定申请", admins.length
      ? `申请绑定到 **${unitLabel(unit)}**，已通知管理员确认，确认后会通知您。`
      : `申请绑定到 **${unitLabel(unit)}** 已记录，但尚未配置管理员（ADMIN_OPEN_IDS），请联系运维人员。`, admins.length ? "blue" : "orange"));
  },
};

/** `/绑定群 区卫健委` is how admins naturally type it; same as `/绑定 群 区卫健委`. */
export const bindChat: CommandDef = {
  name: "绑定群",
  aliases: ["bindchat"],
  summary: "（管理员）把本群绑定到单位，本群将收到该单位周报",
  examples: ["/绑定群 区卫健委"],
  handle: (ctx) => bind.handle({ ...ctx, command: "绑定", args: `群 ${ctx.args}`.trim() }),
};

function decide(approved: boolean): CardActionDef {
  return {
    action: approved ? "approve_bind" : "reject_bind",
    async handle(ctx) {
      const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
      if (!actor.isAdmin) return { toast: { type: "error", content: "只有管理员可以审批绑定申请" } };
      const id = Number(ctx.action.value["request_id"]);
      const req = await ctx.db.selectFrom("bind_requests").innerJoin("units", "units.id", "bind_requests.unit_id")
        .select(["bind_requests.id", "bind_requests.open_id", "bind_requests.status", "units.id as unitId", "units.name", "units.jurisdiction", "units.kind"])
        .where("bind_requests.id", "=", id).executeTakeFirst();
      if (!req) return { toast: { type: "error", content: "找不到该申请，可能已被删除" } };
      if (req.status !== "pending") return { toast: { type: "info", content: `该申请已${req.status === "approved" ? "通过" : "拒绝"}，无需重复处理` } };
      const now = ctx.clock.now().toISOString();
      const updated = await ctx.db.updateTable("bind_requests").set({ status: approved ? "approved" : "rejected", decided_by: actor.openId, decided_at: now })
        .where("id", "=", id).where("status", "=", "pending").returning("id").executeTakeFirst();
      if (!updated) return { toast: { type: "info", content: "该申请已被其他管理员处理" } };
      const unit: Unit = { id: req.unitId, name: req.name, jurisdiction: req.jurisdiction, kind: req.kind };
      if (approved) {
        await ctx.db.insertInto("members").values({ open_id: req.open_id, unit_id: unit.id, role: "member", name: null, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
      }
      const decision = bindDecisionCard({ approved, unit, byOpenId: actor.openId });
      await ctx.messenger.sendToUser(req.open_id, decision, { dedupeKey: `bind-decision:${id}` });
      return { toast: { type: "success", content: approved ? "已同意" : "已拒绝" }, card: { type: "raw", data: decision } };
    },
  };
}

export const approveBind = decide(true);
export const rejectBind = decide(false);
