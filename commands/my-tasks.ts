import { esc } from "../cards/elements.js";
import { errorCard } from "../cards/notice.js";
import { myTasksCard, myTasksPages } from "../cards/my-tasks.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import { resolveActor } from "../src/domain/actors.js";
import { localDate } from "../src/domain/period.js";
import { unitTasks } from "../src/domain/tasks.js";
import { chooseUnit } from "../src/domain/unit-choice.js";
import { chatKind, sendPrivately } from "../src/events/private-answer.js";
import type { CardActionContext, CardActionDef, CommandDef, Services } from "../src/events/types.js";
import type { Card, CardActionResponse } from "../cards/types.js";
import type { Unit } from "../src/store/schema.js";

export async function buildMyTasksCard(s: Services, unit: Unit, page: number, shared = false, otherUnits: Unit[] = []) {
  const input = await myTasksInput(s, unit, shared);
  return myTasksCard({ ...input, page, otherUnits });
}

async function myTasksInput(s: Services, unit: Unit, shared: boolean) {
  const now = s.clock.now();
  const d = localDate(now);
  const today = `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;
  return { unit, tasks: await unitTasks(s.db, unit, now), today, shared };
}

/** "２" and "2" are page 2; anything else that is not 公开 is a mistake worth saying, not a silent page 1. */
export function readPageArg(args: string): { page: number } | { error: string } {
  const rest = args.replace(/公开|public/gi, "").trim();
  if (!rest) return { page: 1 };
  const digits = rest.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  if (!/^\d{1,4}$/.test(digits) || Number(digits) < 1) {
    return { error: `“${rest}”不是页码。发送 /我的任务 2 查看第 2 页；加“公开”把卡片发到群里，例如 /我的任务 公开。` };
  }
  return { page: Number(digits) };
}

export const myTasks: CommandDef = {
  name: "我的任务",
  aliases: ["mytasks", "tasks", "任务"],
  summary: "查看本单位牵头和配合的任务、指标、最新填报和状态",
  readOnly: true,
  examples: ["/我的任务", "/我的任务 2", "/我的任务 公开", "/我的任务 渝中区卫健委"],
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    const choice = await chooseUnit(ctx.db, actor, ctx.args);
    if ("error" in choice) {
      await ctx.replyPrivately(errorCard(choice.error));
      return;
    }
    const { unit } = choice;
    const pub = /公开|public/i.test(choice.rest);
    const arg = readPageArg(choice.rest);
    if ("error" in arg) {
      await ctx.replyPrivately(errorCard(arg.error));
      return;
    }
    // Learn the chat's mode now: a click on the shared card then answers privately without asking Lark first.
    if (pub && ctx.message.chatType === "group") await chatKind(ctx, ctx.message.chatId);
    const input = { ...(await myTasksInput(ctx, unit, pub && ctx.message.chatType === "group")), otherUnits: othersOf(actor.units, unit) };
    const paged = myTasksPages(input);
    const pages = paged.count;
    if (arg.page > pages) {
      await ctx.replyPrivately(errorCard(`${esc(unitLabel(unit))} 的任务共 ${pages} 页，没有第 ${arg.page} 页。发送 /我的任务 ${pages} 查看最后一页。`));
      return;
    }
    const c = paged.card(arg.page);
    await (pub ? ctx.reply(c) : ctx.replyPrivately(c));
  },
};

const othersOf = (units: Unit[], unit: Unit) => units.filter((u) => u.id !== unit.id);

/** Previous/next page buttons on the my-tasks card. */
export const pageAction: CardActionDef = {
  action: "page",
  async handle(ctx) {
    const unitId = Number(ctx.action.value["unit_id"]);
    const page = Number(ctx.action.value["page"] ?? 1);
    const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
    const unit = actor.units.find((u) => u.id === unitId);
    if (!unit) return { toast: { type: "error", content: "这不是您单位的任务卡片，请发送 /我的任务 查看本单位任务" } };
    const card = await buildMyTasksCard(ctx, unit, page, false, othersOf(actor.units, unit));
    if (ctx.action.value["shared"]) return answerClickPrivately(ctx, card);
    return { card: { type: "raw", data: card } };
  },
};

/**
 * A click on a card the whole group received: the result goes to the clicker alone, and the shared card is left as
 * it was (a card in the callback answer would replace it for every member).
 */
export async function answerClickPrivately(ctx: CardActionContext, card: Card): Promise<CardActionResponse> {
  const a = ctx.action;
  await sendPrivately(ctx, { chatId: a.chatId, chatType: null, openId: a.operatorOpenId, replyTo: null }, card, "direct");
  return { toast: { type: "info", content: "已单独发给您，群里的卡片保持不变" } };
}
