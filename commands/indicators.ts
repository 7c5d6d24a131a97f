import { card, esc, md, truncate } from "../cards/elements.js";
import { errorCard } from "../cards/notice.js";
import { latestText, statusBadge, targetText } from "../cards/format.js";
import { loadTaskViews } from "../src/domain/tasks.js";
import type { CommandDef } from "../src/events/types.js";

export const indicators: CommandDef = {
  name: "指标",
  aliases: ["indicators", "indicator"],
  summary: "按名称或原文关键词搜索指标",
  examples: ["/指标 覆盖率", "/指标 临床重点专科"],
  async handle(ctx) {
    const k = ctx.args.trim().replace(/[%_]/g, "");
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
    const tasks = await loadTaskViews(ctx.db, [...new Set(rows.map((r) => r.task_id))].slice(0, 40), ctx.clock.now());
    const hits = tasks.flatMap((t) => t.indicators.filter((i) => i.name.includes(k) || i.quote.includes(k)).map((i) => ({ t, i })));
    if (hits.length === 0) {
      await ctx.replyPrivately(errorCard(`没有名称或原文含“${esc(k)}”的指标。换个关键词试试，例如 /指标 率`));
      return;
    }
    const lines = hits.slice(0, 15).map(({ t, i }) =>
      `· **${esc(i.name)}**　目标 ${targetText(i)}　最新 ${latestText(i)}　${statusBadge(i.status.status)}\n　<font color='grey'>[${esc(t.code)}] ${esc(truncate(t.planTitle, 20))} · ${esc(t.units.find((u) => u.role === "lead")?.name ?? "")}牵头</font>`);
    await ctx.reply(card(`指标搜索 · “${k}” 共 ${hits.length} 个`, [md(lines.join("\n")), ...(hits.length > 15 ? [md(`另有 ${hits.length - 15} 个，请换更具体的关键词`)] : [])]));
  },
};
