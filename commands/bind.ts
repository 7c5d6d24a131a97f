import { bindDecisionCard, bindHandledCard, bindRequestCard, unitCandidatesCard } from "../cards/bind.js";
import { esc } from "../cards/elements.js";
import { errorCard, noticeCard } from "../cards/notice.js";
import type { Card } from "../cards/types.js";
import { resolveActor, type Actor } from "../src/domain/actors.js";
import { exampleUnitName } from "../src/domain/first-steps.js";
import { lookupUnits, unitLabel } from "../src/domain/units-lookup.js";
import { similarUnits } from "../src/store/units.js";
import type { CardActionDef, CommandDef, Services } from "../src/events/types.js";
import type { Unit } from "../src/store/schema.js";

type Picked = { unit: Unit } | { error: string } | { candidates: Unit[]; near: boolean };

async function pickUnit(s: Services, name: string, command: string): Promise<Picked> {
  if (!name) return { error: `请写单位名称（地区 + 单位名称），例如 ${command} ${await exampleUnitName(s.db)}` };
  const found = (await lookupUnits(s.db, name)).filter((u) => u.kind === "unit");
  if (found.length > 1) return { candidates: found, near: false };
  if (found.length === 1) return { unit: found[0]! };
  // Nothing by that exact name: offer the units it probably meant rather than a bare "not found".
  const near = await similarUnits(s.db, name);
  if (near.length > 0) return { candidates: near, near: true };
  return { error: `没有找到单位“${esc(name)}”。请按任务文件中印发的名称填写（地区 + 单位名称），例如 ${command} ${await exampleUnitName(s.db)}。` };
}

/** "11月24日 10:00" in China time (UTC+8, no daylight saving). */
const chinaTime = (iso: string) => {
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
};

async function adminIds(s: Services): Promise<string[]> {
  const rows = await s.db.selectFrom("members").select("open_id").where("role", "=", "admin").execute();
  return [...new Set([...s.adminOpenIds, ...rows.map((r) => r.open_id)])];
}

/** A member asks to join a unit (admins join at once). Returns the card that answers the asker. */
async function bindSelf(s: Services, actor: Actor, unit: Unit, chatId: string | null): Promise<Card> {
  const now = s.clock.now().toISOString();
  if (actor.units.some((u) => u.id === unit.id)) return noticeCard("已绑定", `您已经是 **${esc(unitLabel(unit))}** 的成员。发送 /我的任务 查看本单位任务。`);
  if (actor.isAdmin) {
    await s.db.insertInto("members").values({ open_id: actor.openId, unit_id: unit.id, role: "member", name: null, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
    return noticeCard("已绑定", `您（管理员）已绑定到 **${esc(unitLabel(unit))}**。`, "green");
  }
  const pending = await s.db.selectFrom("bind_requests").select(["id", "requested_at"]).where("open_id", "=", actor.openId).where("unit_id", "=", unit.id).where("status", "=", "pending").executeTakeFirst();
  // Asking again changes nothing and re-notifies nobody: say the request is still waiting, and since when.
  if (pending) {
    return noticeCard("申请待确认", `您绑定到 **${esc(unitLabel(unit))}** 的申请已于 ${chinaTime(pending.requested_at)} 提交，正在等待管理员确认，确认后会通知您，无需重复申请。`, "blue");
  }
  const req = (await s.db
    .insertInto("bind_requests")
    .values({ open_id: actor.openId, unit_id: unit.id, chat_id: chatId, status: "pending", requested_at: now, decided_by: null, decided_at: null })
    .returning("id")
    .executeTakeFirstOrThrow());
  const admins = await adminIds(s);
  // The requester's departments go on the card so an admin can map a whole department with /绑定部门.
  const departments = actor.departments ?? (await s.directory.userDepartments(actor.openId).catch(() => []));
  for (const admin of admins) {
    await s.messenger.sendToUser(admin, bindRequestCard({ requestId: req.id, openId: actor.openId, unit, requestedAt: now, departments }), { dedupeKey: `bind:${req.id}:${admin}` });
  }
  return noticeCard("已提交绑定申请", admins.length
    ? `申请绑定到 **${esc(unitLabel(unit))}**，已通知管理员确认，确认后会通知您。`
    : `申请绑定到 **${esc(unitLabel(unit))}** 已记录，但尚未配置管理员（ADMIN_OPEN_IDS），请联系运维人员。`, admins.length ? "blue" : "orange");
}

/** An admin binds a group to a unit; says what the group was bound to before when that changes. */
async function bindChatTo(s: Services, actor: Actor, chatId: string, unit: Unit): Promise<Card> {
  const now = s.clock.now().toISOString();
  const before = await s.db.selectFrom("chats").leftJoin("units", "units.id", "chats.unit_id")
    .select(["chats.kind", "chats.unit_id", "units.name", "units.jurisdiction"]).where("chats.chat_id", "=", chatId).executeTakeFirst();
  if (before?.kind === "unit" && before.unit_id === unit.id) return noticeCard("无需重复绑定", `本群已绑定到 **${esc(unitLabel(unit))}**。`);
  await s.db
    .insertInto("chats")
    .values({ chat_id: chatId, kind: "unit", unit_id: unit.id, name: null, bound_by: actor.openId, bound_at: now })
    .onConflict((oc) => oc.column("chat_id").doUpdateSet({ kind: "unit", unit_id: unit.id, bound_by: actor.openId, bound_at: now }))
    .execute();
  const was = before?.kind === "supervisor" ? "督办群" : before?.name ? unitLabel({ name: before.name, jurisdiction: before.jurisdiction ?? "" }) : null;
  return noticeCard(was ? "群绑定已更改" : "群已绑定", was
    ? `本群原绑定 **${esc(was)}**，现已改为 **${esc(unitLabel(unit))}**，此后收到新单位的周报。`
    : `本群已绑定到 **${esc(unitLabel(unit))}**，每周将收到本单位周报。`, "green");
}

const NOT_IN_P2P = "绑定群需要在那个群里操作：请把督办助手拉进群，在群里 @督办助手 发送 /绑定群 单位名称。私聊中不能绑定群。";

export const bind: CommandDef = {
  name: "绑定",
  aliases: ["bind"],
  summary: "申请把自己绑定到单位（管理员确认）；管理员可把本群绑定到单位或设为督办群",
  examples: ["/绑定 渝中区卫健委", "/绑定 群 渝中区卫健委", "/绑定 督办"],
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    const now = ctx.clock.now().toISOString();
    const words = ctx.args.split(" ").filter(Boolean);
    if (words[0] === "督办" || words[0] === "群") {
      if (ctx.message.chatType === "p2p") {
        await ctx.replyPrivately(errorCard(NOT_IN_P2P));
        return;
      }
      if (!actor.isAdmin) {
        await ctx.replyPrivately(errorCard("只有管理员可以绑定群。请联系管理员在本群发送该命令。"));
        return;
      }
      if (words[0] === "督办") {
        const before = await ctx.db.selectFrom("chats").select("kind").where("chat_id", "=", ctx.message.chatId).executeTakeFirst();
        await ctx.db
          .insertInto("chats")
          .values({ chat_id: ctx.message.chatId, kind: "supervisor", unit_id: null, name: null, bound_by: actor.openId, bound_at: now })
          .onConflict((oc) => oc.column("chat_id").doUpdateSet({ kind: "supervisor", unit_id: null, bound_by: actor.openId, bound_at: now }))
          .execute();
        await ctx.reply(noticeCard("已设为督办群", (before?.kind === "unit" ? "本群原绑定到单位，现改为督办群。" : "") +
          "本群将收到全部单位的周报汇总。发送 /进度 查看全部单位进度。", "green"));
        return;
      }
      const typed = words.slice(1).join("");
      const picked = await pickUnit(ctx, typed, "/绑定群");
      if ("error" in picked) await ctx.replyPrivately(errorCard(picked.error));
      else if ("candidates" in picked) await ctx.replyPrivately(unitCandidatesCard({ typed, units: picked.candidates, near: picked.near, action: "bind_pick", mode: "chat" }));
      else await ctx.reply(await bindChatTo(ctx, actor, ctx.message.chatId, picked.unit));
      return;
    }
    const typed = ctx.args.replace(/\s+/g, "");
    const picked = await pickUnit(ctx, typed, "/绑定");
    if ("error" in picked) await ctx.replyPrivately(errorCard(picked.error));
    else if ("candidates" in picked) await ctx.replyPrivately(unitCandidatesCard({ typed, units: picked.candidates, near: picked.near, action: "bind_pick", mode: "self" }));
    else await ctx.replyPrivately(await bindSelf(ctx, actor, picked.unit, ctx.message.chatId));
  },
};

/**
 * `/绑定部门 od-xxx 区卫健委（重庆市渝中区）`: an admin maps a Lark department to one unit; its members are then bound
 * without a request. This explicit mapping is the only automatic binding (department names are never guessed).
 */
export const bindDepartment: CommandDef = {
  name: "绑定部门",
  aliases: ["binddept"],
  summary: "（管理员）把飞书部门对应到单位，该部门成员自动绑定",
  examples: ["/绑定部门 od-1a2b3c 区卫健委（重庆市渝中区）"],
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    if (!actor.isAdmin) {
      await ctx.replyPrivately(errorCard("只有管理员可以绑定部门。"));
      return;
    }
    const [dept, ...rest] = ctx.args.split(" ").filter(Boolean);
    if (!dept || !/^od-[0-9a-zA-Z_-]{1,64}$/.test(dept) || rest.length === 0) {
      await ctx.replyPrivately(errorCard("用法：/绑定部门 部门ID 单位名称，例如 /绑定部门 od-1a2b3c 区卫健委（重庆市渝中区）。部门ID（od- 开头）见绑定申请卡片。"));
      return;
    }
    const picked = await pickUnit(ctx, rest.join(""), `/绑定部门 ${dept}`);
    if ("error" in picked) {
      await ctx.replyPrivately(errorCard(picked.error));
      return;
    }
    if ("candidates" in picked) {
      // A whole department is mapped at once: the admin names the unit with its place, no guessing among namesakes.
      const labels = picked.candidates.map((u) => esc(unitLabel(u))).join("、");
      await ctx.replyPrivately(errorCard(picked.near
        ? `没有找到单位“${esc(rest.join(""))}”。是否指：${labels}？请照写其一，例如 /绑定部门 ${dept} ${esc(unitLabel(picked.candidates[0]!))}`
        : `“${esc(rest.join(""))}”对应多个单位：${labels}。请写明地区，例如 /绑定部门 ${dept} ${esc(unitLabel(picked.candidates[0]!))}`));
      return;
    }
    const unit = picked.unit;
    const now = ctx.clock.now().toISOString();
    await ctx.db
      .insertInto("department_units")
      .values({ department_id: dept, unit_id: unit.id, bound_by: actor.openId, bound_at: now })
      .onConflict((oc) => oc.column("department_id").doUpdateSet({ unit_id: unit.id, bound_by: actor.openId, bound_at: now }))
      .execute();
    await ctx.replyPrivately(noticeCard("部门已对应", `飞书部门 ${dept} 的成员今后自动绑定到 **${esc(unitLabel(unit))}**（已绑定的成员不变）。`, "green"));
  },
};

/** `/绑定群 区卫健委` is how admins naturally type it; same as `/绑定 群 区卫健委`. */
export const bindChat: CommandDef = {
  name: "绑定群",
  aliases: ["bindchat"],
  summary: "（管理员）把本群绑定到单位，本群将收到该单位周报",
  examples: ["/绑定群 渝中区卫健委"],
  handle: (ctx) => bind.handle({ ...ctx, command: "绑定", args: `群 ${ctx.args}`.trim() }),
};

/** A button on the candidates card: bind to the unit picked (oneself, or the group the card was asked in). */
export const bindPick: CardActionDef = {
  action: "bind_pick",
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
    const unit = await ctx.db.selectFrom("units").selectAll().where("id", "=", Number(ctx.action.value["unit_id"])).executeTakeFirst();
    if (!unit) return { toast: { type: "error", content: "找不到该单位，请重新发送 /绑定 单位名称" } };
    if (ctx.action.value["mode"] === "chat") {
      if (!actor.isAdmin) return { toast: { type: "error", content: "只有管理员可以绑定群" } };
      if (!ctx.action.chatId) return { toast: { type: "error", content: NOT_IN_P2P } };
      const done = await bindChatTo(ctx, actor, ctx.action.chatId, unit);
      // The group learns of its new binding; the picker's own card shows the same.
      await ctx.messenger.sendToChat(ctx.action.chatId, done);
      return { card: { type: "raw", data: done } };
    }
    return { card: { type: "raw", data: await bindSelf(ctx, actor, unit, ctx.action.chatId) } };
  },
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
      await ctx.messenger.sendToUser(req.open_id, bindDecisionCard({ approved, unit, byOpenId: actor.openId }), { dedupeKey: `bind-decision:${id}` });
      // The admin's card says what the admin did, not what the requester is told.
      const handled = bindHandledCard({ approved, unit, requesterOpenId: req.open_id, byOpenId: actor.openId, at: now });
      return { toast: { type: "success", content: approved ? "已同意" : "已拒绝" }, card: { type: "raw", data: handled } };
    },
  };
}

export const approveBind = decide(true);
export const rejectBind = decide(false);
