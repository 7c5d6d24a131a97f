import { esc } from "../cards/elements.js";
import { errorCard, noticeCard } from "../cards/notice.js";
import { reportFormCard } from "../cards/report-form.js";
import { answerClickPrivately } from "./my-tasks.js";
import { reportReceiptCard, supportReportedCard } from "../cards/report-receipt.js";
import { resolveActor } from "../src/domain/actors.js";
import { DubanError } from "../src/domain/errors.js";
import { confirmValueCard } from "../cards/confirm-value.js";
import type { CardActionResponse } from "../cards/types.js";
import { ConfirmationNeeded, confirmValueSchema, formValueSchema, leadUnitChats, STALE_AFTER_MS, submitReport, submitValueSchema } from "../src/domain/report.js";
import { unitTasks, type IndicatorView } from "../src/domain/tasks.js";
import { chooseUnit } from "../src/domain/unit-choice.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import type { CardActionContext, CardActionDef, CommandDef, Services } from "../src/events/types.js";
import type { Unit } from "../src/store/schema.js";

async function reportableIndicators(s: Services, unit: Unit, keyword: string): Promise<IndicatorView[]> {
  const all = (await unitTasks(s.db, unit, s.clock.now())).flatMap((t) => t.indicators);
  const k = keyword.trim();
  return k ? all.filter((i) => i.name.includes(k) || i.quote.includes(k)) : all;
}

async function formFor(s: Services, unit: Unit, keyword: string, selectedId?: number, note?: string) {
  const indicators = await reportableIndicators(s, unit, keyword);
  return {
    indicators,
    card: reportFormCard({ unit, indicators, selectedId, issuedAt: s.clock.now().toISOString(), nonce: crypto.randomUUID(), ...(note ? { note } : {}) }),
  };
}

export const report: CommandDef = {
  name: "上报",
  aliases: ["report", "填报"],
  summary: "打开填报表单，为本单位的指标填报数值（可加关键词筛选）",
  examples: ["/上报", "/上报 签约服务", "/上报 渝中区卫健委 签约"],
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    const choice = await chooseUnit(ctx.db, actor, ctx.args);
    if ("error" in choice) {
      await ctx.replyPrivately(errorCard(choice.error));
      return;
    }
    const { unit, rest } = choice;
    const others = actor.units.filter((u) => u.id !== unit.id);
    // An official of several units is told which one the form is for and how to pick another.
    const note = others.length ? `这是 ${unitLabel(unit)} 的指标；您还绑定了 ${others.map((u) => u.name).join("、")}，发送 /上报 单位名称 切换。` : undefined;
    const { indicators, card } = await formFor(ctx, unit, rest, undefined, note);
    if (indicators.length === 0) {
      await ctx.replyPrivately(
        noticeCard("没有可填报的指标", (rest ? `本单位没有名称含“${esc(rest)}”的指标。发送 /上报 查看全部指标。` : "本单位负责的任务中没有量化指标。") + (note ? `\n${esc(note)}` : ""), "orange"),
      );
      return;
    }
    await ctx.replyPrivately(card);
  },
};

/** 上报 button on /我的任务: replace that card with the form, the indicator preselected. */
export const openReportForm: CardActionDef = {
  action: "open_report_form",
  async handle(ctx) {
    const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
    const unit = actor.units.find((u) => u.id === Number(ctx.action.value["unit_id"])) ?? actor.units[0];
    if (!unit) return { toast: { type: "error", content: "还不知道您属于哪个单位，请先发送 /绑定 单位名称" } };
    const { indicators, card } = await formFor(ctx, unit, "", Number(ctx.action.value["indicator_id"]));
    if (!indicators.some((i) => i.id === Number(ctx.action.value["indicator_id"]))) {
      return { toast: { type: "error", content: "该指标不属于您的单位，不能代为填报" } };
    }
    if (ctx.action.value["shared"]) return answerClickPrivately(ctx, card);
    return { card: { type: "raw", data: card } };
  },
};

const FIELD_NAME: Record<string, string> = { value: "数值", period: "周期", note: "说明", indicator: "指标" };

/**
 * The form's submit. Validation names the field in the toast and stores nothing; a repeated click on the same card
 * with the same values stores one row (request key from the card's nonce and the values).
 */
export const submitReportAction: CardActionDef = {
  action: "submit_report",
  async handle(ctx) {
    const v = submitValueSchema.safeParse(ctx.action.value);
    if (!v.success) return { toast: { type: "error", content: "这张填报卡片已失效，请发送 /上报 重新打开" } };
    if (ctx.clock.now().getTime() - Date.parse(v.data.issued_at) > STALE_AFTER_MS) {
      return { toast: { type: "error", content: "这张填报卡片已超过 14 天，请发送 /上报 获取新的填报表" } };
    }
    const f = formValueSchema.safeParse(ctx.action.formValue);
    if (!f.success) {
      const issue = f.error.issues[0];
      const field = String(issue?.path[0] ?? "");
      const msg = issue?.message && /[\u4e00-\u9fa5]/.test(issue.message) ? issue.message : `${FIELD_NAME[field] ?? field}：请填写`;
      return { toast: { type: "error", content: msg } };
    }
    return storeFromCard(ctx, { ...v.data, ...f.data }, false);
  },
};

/** 确认提交 on the 请确认数值 card: the same submission, stored despite looking implausible. */
export const confirmReportAction: CardActionDef = {
  action: "confirm_report",
  async handle(ctx) {
    const v = confirmValueSchema.safeParse(ctx.action.value);
    if (!v.success) return { toast: { type: "error", content: "这张确认卡片已失效，请发送 /上报 重新打开" } };
    if (ctx.clock.now().getTime() - Date.parse(v.data.issued_at) > STALE_AFTER_MS) {
      return { toast: { type: "error", content: "这张卡片已超过 14 天，请发送 /上报 获取新的填报表" } };
    }
    return storeFromCard(ctx, v.data, true);
  },
};

type CardSubmission = { unit_id: number; issued_at: string; nonce: string; indicator: string; value: string; period: string; note: string };

/**
 * Stores a submission from the form or the confirm card. The request key is the same for both (card nonce and the
 * values), so confirming twice, or confirming after a retried submit, stores one row.
 */
async function storeFromCard(ctx: CardActionContext, d: CardSubmission, confirmed: boolean): Promise<CardActionResponse> {
  const actor = await resolveActor(ctx, ctx.action.operatorOpenId);
  if (actor.units.length === 0) return { toast: { type: "error", content: "还不知道您属于哪个单位，请先发送 /绑定 单位名称" } };
  if (!actor.units.some((u) => u.id === d.unit_id)) {
    throw new DubanError("stale_card", "这张卡片属于另一个单位，您不能代为填报。请发送 /上报 打开本单位的填报表");
  }
  let r;
  try {
    r = await submitReport(ctx, {
      actor,
      unitId: d.unit_id,
      indicatorId: Number(d.indicator),
      rawValue: d.value,
      rawPeriod: d.period,
      note: d.note,
      requestKey: `form:${d.nonce}:${d.indicator}:${d.period.trim()}:${d.value.trim()}`,
      confirmed,
    });
  } catch (err) {
    if (!(err instanceof ConfirmationNeeded)) throw err;
    return {
      toast: { type: "warning", content: "请确认数值" },
      card: {
        type: "raw",
        data: confirmValueCard({
          unit: err.unit, indicator: err.indicator, value: err.value, period: err.period, reason: err.reason,
          resubmit: { issued_at: d.issued_at, nonce: d.nonce, indicator: d.indicator, value: d.value, period: d.period, note: d.note },
        }),
      },
    };
  }
  if (r.role === "support" && !r.duplicate) {
    for (const chat of await leadUnitChats(ctx, r.indicator.taskId)) {
      await ctx.messenger.sendToChat(
        chat.chatId,
        supportReportedCard({ leadUnit: chat.unit, reporterUnit: r.unit, indicator: r.indicator, value: r.value, period: r.period }),
      );
    }
  }
  return {
    toast: { type: r.duplicate ? "info" : "success", content: r.duplicate ? "已记录过，本次未重复保存" : "已记录" },
    card: { type: "raw", data: reportReceiptCard({ ...r, reporterOpenId: actor.openId }) },
  };
}
