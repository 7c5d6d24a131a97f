import { button, card, esc, md, rowWithButton, truncate } from "../cards/elements.js";
import { errorCard } from "../cards/notice.js";
import { progressCard, taskProgressCard } from "../cards/progress.js";
import { resolveActor } from "../src/domain/actors.js";
import { findTasks, unitProgress } from "../src/domain/progress.js";
import { STATUS_LABEL } from "../src/domain/status.js";
import { unitTasks } from "../src/domain/tasks.js";
import { lookupUnits, unitLabel } from "../src/domain/units-lookup.js";
import { loadTaskViews } from "../src/domain/tasks.js";
import { viewerOf } from "../src/events/viewer.js";
import type { CardActionDef, CommandDef } from "../src/events/types.js";
import { splitPublic } from "../src/events/private-answer.js";
import { answerClickPrivately } from "./my-tasks.js";

export const progress: CommandDef = {
  name: "进度",
  aliases: ["progress"],
  summary: "查看进度：督办室看全部单位，单位看本单位；可指定单位、任务编号或关键词；群里只有自己可见，加“公开”发到群里",
  readOnly: true,
  examples: ["/进度", "/进度 渝中区卫健委", "/进度 9", "/进度 家庭医生", "/进度 公开"],
  async handle(ctx) {
    const viewer = await viewerOf(ctx);
    if (!viewer) return;
    const { actor, seesAll } = viewer;
    const now = ctx.clock.now();
    // In a group the answer is private unless 公开: an admin's all-units table is not for every member of a group.
    const { pub, rest } = splitPublic(ctx.args);
    const answer = (c: Parameters<typeof ctx.reply>[0]) => (pub ? ctx.reply(c) : ctx.replyPrivately(c));
    const arg = rest.trim();
    if (!arg) {
      const units = seesAll ? await ctx.db.selectFrom("units").selectAll().execute() : actor.units;
      const { rows, behind, unreportable } = await unitProgress(ctx.db, units, now);
      await answer(progressCard({
        title: seesAll ? "全部单位进度" : `进度 · ${actor.units.map((u) => u.name).join("、")}`,
        rows,
        behind,
        unreportable,
        scopeNote: seesAll ? "督办视图：按本期填报率从低到高排列" : "本单位牵头指标",
        cuiban: actor.isSupervisor,
      }));
      return;
    }
    const units = (await lookupUnits(ctx.db, arg)).filter((u) => u.kind === "unit");
    if (units.length > 0) {
      const allowed = seesAll ? units : units.filter((u) => actor.units.some((a) => a.id === u.id));
      if (allowed.length === 0) {
        await ctx.replyPrivately(errorCard(`只有督办室可以查看其他单位的进度。发送 /进度 查看本单位。`));
        return;
      }
      const { rows, behind } = await unitProgress(ctx.db, allowed, now);
      await answer(progressCard({
        title: `进度 · ${allowed.map(unitLabel).join("、")}`,
        rows,
        behind,
        scopeNote: allowed.length > 1 ? `“${arg}”对应 ${allowed.length} 个单位（不同地区同名），请核对地区` : "该单位牵头指标",
        cuiban: actor.isSupervisor,
      }));
      return;
    }
    const visible = seesAll ? null : (await Promise.all(actor.units.map((u) => unitTasks(ctx.db, u, now)))).flat().map((t) => t.id);
    const tasks = await findTasks(ctx.db, arg, visible, now);
    if (tasks.length === 1) {
      await answer(taskProgressCard(tasks[0]!));
      return;
    }
    if (tasks.length === 0) {
      await ctx.replyPrivately(errorCard(`没有找到与“${esc(arg)}”相关的单位或任务。可以写单位名称、任务编号或关键词，例如 /进度 家庭医生`));
      return;
    }
    // One button per task: a number shared by several plans, or a keyword, leads straight to the task, never back here.
    const rows = tasks.slice(0, 10).flatMap((t) => {
      const counts = t.indicators.reduce<Record<string, number>>((a, i) => ({ ...a, [STATUS_LABEL[i.status.status]]: (a[STATUS_LABEL[i.status.status]] ?? 0) + 1 }), {});
      const c = Object.entries(counts).map(([k, n]) => `${k}${n}`).join(" ");
      const line = `**[${esc(t.code)}]** ${esc(t.title ?? t.text.slice(0, 24))}　<font color='grey'>${esc(t.planTitle.slice(0, 16))}（${esc(t.jurisdiction)}）</font>${c ? `　${c}` : ""}`;
      return [rowWithButton(line, button("查看", { action: "task_progress", task_id: t.id }))];
    });
    await answer(card(`进度 · “${truncate(arg, 20)}”相关任务 ${tasks.length} 项`, [
      ...rows,
      md(`<font color='grey'>点“查看”看单项详情${tasks.length > 10 ? `；另有 ${tasks.length - 10} 项，请换一个更具体的关键词` : ""}。</font>`),
    ]));
  },
};

/** 查看 on a task list: that task's progress, to the clicker only (the list may be a group's). */
export const taskProgressAction: CardActionDef = {
  action: "task_progress",
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
    const id = Number(ctx.action.value["task_id"]);
    const now = ctx.clock.now();
    const seesAll = actor.isSupervisor || actor.isAdmin;
    if (!seesAll) {
      const mine = (await Promise.all(actor.units.map((u) => unitTasks(ctx.db, u, now)))).flat().some((t) => t.id === id);
      if (!mine) return { toast: { type: "error", content: "只有督办室或责任单位可以查看该任务的进度" } };
    }
    const [task] = await loadTaskViews(ctx.db, [id], now);
    if (!task) return { toast: { type: "error", content: "该任务已不存在，请重新发送 /进度 关键词" } };
    return answerClickPrivately(ctx, taskProgressCard(task));
  },
};
