import { card, esc, md, truncate } from "../cards/elements.js";
import { errorCard } from "../cards/notice.js";
import { latestText, statusBadge, targetText } from "../cards/format.js";
import { loadTaskViews, unitTasks } from "../src/domain/tasks.js";
import { splitPublic } from "../src/events/private-answer.js";
import { viewerOf } from "../src/events/viewer.js";
import type { CommandDef } from "../src/events/types.js";

export const indicators: CommandDef = {
  name: "指标",
  aliases: ["indicators", "indicator"],
  summary: "按名称或原文关键词搜索本单位指标（督办室搜索全部）；群里只有自己可见，加“公开”发到群里",
  readOnly: true,
  examples: ["/指标 覆盖率", "/指标 临床重点专科", "/指标 覆盖率 公开"],
  async handle(ctx) {
    // Latest values are a unit's own business: a unit searches its own measures, only the supervising office all.
    const viewer = await viewerOf(ctx, "查询本单位指标");
    if (!viewer) return;
    const { actor, seesAll } = viewer;
    const { pub, rest } = splitPublic(ctx.args);
    const k = rest.trim().replace(/[%_]/g, "");
    if (!k) {
      await ctx.replyPrivately(errorCard("请在 /指标 后写关键词，例如 /指标 覆盖率"));
      return;
    }
    const rows = await ctx.db
      .selectFrom("indicators")
      .select(["task_id"])
      .where("retired_at", "is", null)
      .where((eb) => eb.or([eb("name", "like", `%${k}%`), eb("quote", "like", `%${k}%`)]))
      .limit(200)
      .execute();
    const now = ctx.clock.now();
    const visible = seesAll ? null : new Set((await Promise.all(actor.units.map((u) => unitTasks(ctx.db, u, now)))).flat().map((t) => t.id));
    const ids = [...new Set(rows.map((r) => r.task_id))].filter((id) => !visible || visible.has(id));
    const tasks = await loadTaskViews(ctx.db, ids.slice(0, 40), now);
    const hits = tasks.flatMap((t) => t.indicators.filter((i) => i.name.includes(k) || i.quote.includes(k)).map((i) => ({ t, i })));
    if (hits.length === 0) {
      await ctx.replyPrivately(errorCard(`${seesAll ? "" : "本单位任务中"}没有名称或原文含“${esc(k)}”的指标。换个关键词试试，例如 /指标 率`));
      return;
    }
    const lines = hits.slice(0, 15).map(({ t, i }) =>
      `· **${esc(i.name)}**　目标 ${esc(targetText(i))}　最新 ${esc(latestText(i))}　${statusBadge(i.status.status)}\n　<font color='grey'>[${esc(t.code)}] ${esc(truncate(t.planTitle, 20))} · ${esc(t.units.find((u) => u.role === "lead")?.name ?? "")}牵头</font>`);
    const answer = card(`指标搜索 · “${truncate(k, 20)}” 共 ${hits.length} 个`, [md(lines.join("\n")), ...(hits.length > 15 ? [md(`另有 ${hits.length - 15} 个，请换更具体的关键词`)] : [])]);
    await (pub ? ctx.reply(answer) : ctx.replyPrivately(answer));
  },
};
