import { importCancelledCard, importDoneCard, importPreviewCard, importRefusedCard, MAX_PLAN_CHOICES } from "../cards/import-preview.js";
import { noticeCard, toast } from "../cards/notice.js";
import { resolveActor } from "../src/domain/actors.js";
import { DubanError } from "../src/domain/errors.js";
import type { CardActionDef, CommandDef, Services } from "../src/events/types.js";
import { isImportError } from "../src/importer/errors.js";
import type { ParsedPlan } from "../src/importer/types.js";
import { importDocument, sha256Hex } from "../src/importer/store.js";
import { previewImport } from "../src/intake/preview.js";
import { asRevisionOf, findRevisedPlan, parsePlanId, revisionChoices, type PlanChoice } from "../src/intake/revises.js";
import { buildPlanWorkbook } from "../src/ledger/index.js";

/** Largest plan file the bot downloads; real plans are well under 5 MB, Lark allows 100 MB. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
/** A preview older than this cannot be confirmed: the store may have moved on; send the file again. */
const PREVIEW_TTL_MS = 24 * 3600_000;
const ACCEPTED = /\.(docx|xlsx|pdf|txt)$/i;

const WHO_CAN = "只有管理员和督办室可以导入方案。请把文件转发给管理员或督办室，由他们发给我。";

async function mayImport(s: Services, openId: string): Promise<boolean> {
  const a = await resolveActor(s, openId);
  return a.isAdmin || a.isSupervisor;
}

/**
 * A plan file sent to the bot (message type file): download, parse, store the parse as pending, answer with the
 * preview card. Nothing reaches the plan tables before 确认导入. Typed as text, /导入 says how to send a file.
 */
export const importPlan: CommandDef = {
  name: "导入",
  aliases: ["import"],
  summary: "导入方案：把方案文件（.docx/.xlsx/.pdf/.txt）直接发给我，预览核对后确认导入（管理员、督办室）",
  examples: ["（在私聊中发送方案文件）"],
  async handle(ctx) {
    const file = ctx.message.file;
    if (!file) {
      await ctx.reply(noticeCard("导入方案", "把方案文件（.docx、.xlsx、.pdf 或 .txt）直接发给我：我会先发预览卡片，核对无误后点“确认导入”才会保存。" + "\n" + WHO_CAN));
      return;
    }
    if (!(await mayImport(ctx, ctx.message.senderOpenId))) {
      await ctx.replyPrivately(importRefusedCard(file.name, WHO_CAN));
      return;
    }
    if (!ACCEPTED.test(file.name)) {
      await ctx.reply(importRefusedCard(file.name, "只能导入 .docx、.xlsx、.pdf 或 .txt 格式的方案文件。旧版 .doc/.xls 请在 WPS 或 Office 中另存为 .docx/.xlsx 后再发送。"));
      return;
    }
    if (!ctx.files || !ctx.readPlan) {
      await ctx.reply(importRefusedCard(file.name, "当前部署没有开启接收文件。请管理员在服务器上运行 npm run import -- 文件路径。"));
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await ctx.files.download(ctx.message.messageId, file.key, MAX_IMPORT_BYTES);
    } catch (err) {
      if (err instanceof DubanError) {
        await ctx.reply(importRefusedCard(file.name, err.userText));
        return;
      }
      ctx.log.error("file download failed", { messageId: ctx.message.messageId, error: String(err) });
      await ctx.reply(importRefusedCard(file.name, "下载文件失败，请稍后重新发送。如仍失败，请联系管理员检查机器人的文件权限（im:message）。"));
      return;
    }
    let plan: ParsedPlan;
    let source: "ledger" | "document";
    try {
      ({ plan, source } = await ctx.readPlan(bytes, file.name));
    } catch (err) {
      if (isImportError(err)) {
        await ctx.reply(importRefusedCard(file.name, err.userText));
        return;
      }
      throw err;
    }
    if (plan.tasks.length === 0) {
      await ctx.reply(importRefusedCard(file.name, "没有识别出任何措施（带牵头/责任单位的条目）。请确认这是实施方案或任务分解表，而不是通知正文或附件说明。"));
      return;
    }
    const hash = await sha256Hex(bytes);
    const nonce = crypto.randomUUID();
    const now = ctx.clock.now().toISOString();
    const row = await ctx.db
      .insertInto("pending_imports")
      .values({ nonce, open_id: ctx.message.senderOpenId, chat_id: ctx.message.chatId, file_name: file.name, file_hash: hash, parsed: JSON.stringify(plan), status: "pending", created_at: now, decided_by: null, decided_at: null, plan_id: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    await ctx.reply(await previewCard(ctx, { pendingId: row.id, nonce, fileName: file.name, fileHash: hash, parsed: plan, fromLedger: source === "ledger", revises: null }));
  },
};

/**
 * The preview of a pending import: compared with `revises` when the admin chose that plan, else with the stored plan
 * of the same jurisdiction and title (if any); with the stored plans it could be compared with instead.
 */
async function previewCard(
  s: Services,
  o: { pendingId: number; nonce: string; fileName: string; fileHash: string; parsed: ParsedPlan; fromLedger: boolean; revises: PlanChoice | null },
) {
  const plan = o.revises ? asRevisionOf(o.parsed, o.revises) : o.parsed;
  const preview = await previewImport(s.db, plan, o.fileHash);
  const choices = await revisionChoices(s.db, { jurisdiction: plan.jurisdiction, exclude: preview.revision?.planId ?? null, limit: MAX_PLAN_CHOICES });
  return importPreviewCard({
    pendingId: o.pendingId,
    nonce: o.nonce,
    fileName: o.fileName,
    plan,
    preview,
    fromLedger: o.fromLedger,
    choices,
    ...(o.revises ? { chosen: { planId: o.revises.id, fileTitle: o.parsed.title, fileJurisdiction: o.parsed.jurisdiction } } : {}),
  });
}

/** The pending import a button names, checked against its nonce (a guessed id alone finds nothing). */
async function pendingRow(s: Services, value: Record<string, unknown>) {
  const id = Number(value["pending_id"]);
  const nonce = String(value["nonce"] ?? "");
  if (!Number.isInteger(id) || !nonce) throw new DubanError("bad_request", "按钮数据不完整，请重新发送文件");
  const row = await s.db.selectFrom("pending_imports").selectAll().where("id", "=", id).where("nonce", "=", nonce).executeTakeFirst();
  if (!row) throw new DubanError("bad_request", "找不到这次导入，请重新发送文件");
  return row;
}

/** The plan a 确认导入 button says the preview compared with (absent: the match by title), checked to exist. */
async function chosenPlan(s: Services, value: Record<string, unknown>): Promise<PlanChoice | null> {
  if (value["revises"] === undefined) return null;
  const id = Number(value["revises"]);
  if (!Number.isInteger(id) || id <= 0) throw new DubanError("bad_request", "按钮数据不完整，请重新发送文件");
  const found = await findRevisedPlan(s.db, id);
  if (!found.ok) throw new DubanError("bad_request", found.message);
  return found.plan;
}

/** Takes the pending import if it is still pending and the button's nonce matches; marks it decided atomically. */
async function decide(s: Services, value: Record<string, unknown>, operator: string, status: "confirmed" | "cancelled") {
  const row = await pendingRow(s, value);
  const id = row.id;
  if (row.status !== "pending") return { row, taken: false as const };
  if (status === "confirmed" && s.clock.now().getTime() - Date.parse(row.created_at) > PREVIEW_TTL_MS) {
    throw new DubanError("stale_card", "预览已超过 24 小时，请重新发送文件后再确认");
  }
  // One statement decides: a double click or two admins at once store the plan once.
  const taken = await s.db
    .updateTable("pending_imports")
    .set({ status, decided_by: operator, decided_at: s.clock.now().toISOString() })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .returning("id")
    .executeTakeFirst();
  return { row, taken: taken !== undefined };
}

export const confirmImport: CardActionDef = {
  action: "confirm_import",
  async handle(ctx) {
    const operator = ctx.action.operatorOpenId;
    if (!(await mayImport(ctx, operator))) return toast("error", WHO_CAN);
    // Checked before the import is marked decided: a plan that is gone leaves the preview pending.
    const revises = await chosenPlan(ctx, ctx.action.value);
    const { row, taken } = await decide(ctx, ctx.action.value, operator, "confirmed");
    if (!taken) return toast("info", row.status === "confirmed" ? "该方案已导入" : "该导入已取消，请重新发送文件");
    const parsed = JSON.parse(row.parsed) as ParsedPlan;
    const plan = revises ? asRevisionOf(parsed, revises) : parsed;
    const existed = await ctx.db.selectFrom("plans").select("id").where("jurisdiction", "=", plan.jurisdiction).where("title", "=", plan.title).executeTakeFirst();
    const r = await importDocument(ctx.db, plan, { fileName: row.file_name, hash: row.file_hash, clock: ctx.clock });
    await ctx.db.updateTable("pending_imports").set({ plan_id: r.planId }).where("id", "=", row.id).execute();
    ctx.log.info("plan imported from chat", { planId: r.planId, file: row.file_name, by: operator, tasks: r.tasks, indicators: r.indicators });
    return {
      toast: { type: "success", content: existed ? "方案已更新" : "方案已导入" },
      card: { type: "raw", data: importDoneCard({ title: plan.title, planId: r.planId, measures: r.tasks, units: r.units, indicators: r.indicators, byOpenId: operator, revision: existed !== undefined }) },
    };
  },
};

/** 导出核对表: what the parser read, as the plan workbook, sent to the chat; corrected and sent back it is read exactly. */
export const exportParseAction: CardActionDef = {
  action: "export_parse",
  async handle(ctx) {
    const operator = ctx.action.operatorOpenId;
    if (!(await mayImport(ctx, operator))) return toast("error", WHO_CAN);
    const row = await pendingRow(ctx, ctx.action.value).catch(() => undefined);
    if (!row || !ctx.action.chatId) return toast("error", "找不到这次导入，请重新发送文件");
    const plan = JSON.parse(row.parsed) as ParsedPlan;
    const bytes = await buildPlanWorkbook(plan, { fileName: row.file_name });
    const name = `核对表-${row.file_name.replace(/\.[^.]+$/, "").replace(/[\\/:*?"<>|\s]+/g, "").slice(0, 30)}.xlsx`;
    await ctx.messenger.sendFile(ctx.action.chatId, { name, bytes, fileType: "xls" }, { viewer: operator });
    return toast("success", "核对表已发送：改正后把文件发回给我即可");
  },
};

/**
 * 按所选方案比对 (and 改回按文件标题比对): the preview again, compared with the stored plan picked in the drop-down or
 * typed as a number (a typed number wins over the drop-down), or with the same-title plan again. Writes nothing; a
 * number that is not a stored plan is refused with a toast and the card stays as it was.
 */
export const reviseImport: CardActionDef = {
  action: "revise_import",
  async handle(ctx) {
    const operator = ctx.action.operatorOpenId;
    if (!(await mayImport(ctx, operator))) return toast("error", WHO_CAN);
    const v = ctx.action.value;
    const row = await pendingRow(ctx, v);
    if (row.status !== "pending") return toast("info", row.status === "confirmed" ? "该方案已导入" : "该导入已取消，请重新发送文件");
    let revises: PlanChoice | null = null;
    if (v["reset"] !== true) {
      const field = (name: string) => {
        const x = ctx.action.formValue[name];
        return typeof x === "string" ? x.trim() : "";
      };
      const raw = field("revises_id") || field("revises_pick");
      if (!raw) return toast("error", "请先在下拉列表中选择方案，或填写方案编号");
      const id = parsePlanId(raw);
      if (!id.ok) return toast("error", id.message);
      const found = await findRevisedPlan(ctx.db, id.id);
      if (!found.ok) return toast("error", found.message);
      revises = found.plan;
    }
    const data = await previewCard(ctx, {
      pendingId: row.id,
      nonce: row.nonce,
      fileName: row.file_name,
      fileHash: row.file_hash,
      parsed: JSON.parse(row.parsed) as ParsedPlan,
      fromLedger: v["from_ledger"] === true,
      revises,
    });
    return {
      toast: { type: "info", content: revises ? `已改为与方案 ${revises.id} 比对，确认前不会保存` : "已改回按文件标题比对" },
      card: { type: "raw", data },
    };
  },
};

export const cancelImport: CardActionDef = {
  action: "cancel_import",
  async handle(ctx) {
    const operator = ctx.action.operatorOpenId;
    if (!(await mayImport(ctx, operator))) return toast("error", WHO_CAN);
    const { row, taken } = await decide(ctx, ctx.action.value, operator, "cancelled");
    if (!taken) return toast("info", row.status === "confirmed" ? "该方案已导入，无法取消" : "已取消");
    return { toast: { type: "info", content: "已取消，未保存任何内容" }, card: { type: "raw", data: importCancelledCard(row.file_name) } };
  },
};
