import { card, esc, md } from "../cards/elements.js";
import { errorCard } from "../cards/notice.js";
import { lookupUnits, unitLabel } from "../src/domain/units-lookup.js";
import { viewerOf } from "../src/events/viewer.js";
import type { CommandDef } from "../src/events/types.js";
import { CHAT_ROW_CAP, exportLedger, type LedgerScope } from "../src/ledger/index.js";

/**
 * /导出 — the 台账 workbook as a file message. Supervisors and admins: everything, one plan (/导出 方案 3) or one
 * unit (/导出 区卫健委); a unit: the measures it leads or supports (optionally of one plan).
 */
export const exportLedgerCommand: CommandDef = {
  name: "导出",
  aliases: ["export", "台账"],
  summary: "导出督办台账（Excel）：督办室导出全部、某个方案或某个单位；单位导出本单位任务",
  examples: ["/导出", "/导出 方案 1", "/导出 渝中区卫健委"],
  async handle(ctx) {
    const viewer = await viewerOf(ctx);
    if (!viewer) return;
    const { actor, seesAll } = viewer;
    const arg = ctx.args.trim();
    const scope: LedgerScope = {};
    const planArg = /^(?:方案\s*)?(\d+)$/.exec(arg);
    if (planArg) {
      const id = Number(planArg[1]);
      const plan = await ctx.db.selectFrom("plans").select("id").where("id", "=", id).executeTakeFirst();
      if (!plan) {
        const plans = await ctx.db.selectFrom("plans").select(["id", "title"]).orderBy("id").limit(20).execute();
        await ctx.replyPrivately(errorCard(`没有编号为 ${id} 的方案。现有方案：\n${plans.map((p) => `${p.id}　${esc(p.title)}`).join("\n")}`));
        return;
      }
      scope.planId = id;
    } else if (arg) {
      const units = (await lookupUnits(ctx.db, arg)).filter((u) => u.kind === "unit");
      if (units.length === 0) {
        await ctx.replyPrivately(errorCard(`没有找到单位“${esc(arg)}”。可以写 /导出、/导出 方案 1 或 /导出 单位名称。`));
        return;
      }
      if (units.length > 1) {
        await ctx.replyPrivately(errorCard(`“${esc(arg)}”对应多个单位，请加上地区，例如 ${units.slice(0, 3).map((u) => esc(unitLabel(u))).join("、")}`));
        return;
      }
      if (!seesAll && !actor.units.some((u) => u.id === units[0]!.id)) {
        await ctx.replyPrivately(errorCard("只有督办室和管理员可以导出其他单位的台账。发送 /导出 导出本单位任务。"));
        return;
      }
      scope.unit = units[0]!;
    }
    if (!seesAll && !scope.unit) scope.unit = actor.units[0]!;

    const f = await exportLedger(ctx.db, scope, ctx.clock.now(), { maxRows: CHAT_ROW_CAP });
    const l = f.ledger;
    if (!f.bytes) {
      await ctx.replyPrivately(
        errorCard(
          `台账共 ${f.rows.toLocaleString("en-US")} 行，超过聊天中导出的上限 ${CHAT_ROW_CAP.toLocaleString("en-US")} 行。` +
            `请按方案或单位分别导出（例如 /导出 方案 1），或请管理员在服务器上运行 npm run export -- --out 台账.xlsx。`,
        ),
      );
      return;
    }
    await ctx.reply(
      card("督办台账已导出", [
        md(
          `**${esc(l.scopeLabel)}**\n` +
            `方案 ${l.plans.length} 个　措施 ${l.measures.length} 项　指标 ${l.indicators.length} 个` +
            (l.retired.length ? `（另有已停用指标 ${l.retired.length} 个）` : "") +
            `　填报记录 ${l.reports.length} 条\n文件《${esc(f.fileName)}》见下一条消息。`,
        ),
        md("<font color='grey'>工作表：说明、方案、措施、指标、已停用指标、填报记录。时间为北京时间。</font>"),
      ], { color: "green" }),
    );
    await ctx.messenger.sendFile(ctx.message.chatId, { name: f.fileName, bytes: f.bytes, fileType: "xls" }, { viewer: ctx.message.senderOpenId });
  },
};
