import type { ParsedPlan } from "../src/importer/types.js";
import { PERIOD_NAME } from "../src/domain/period.js";
import { changesSomething, type ImportPreview, type IndicatorChange } from "../src/intake/preview.js";
import type { PlanChoice } from "../src/intake/revises.js";
import { button, card, esc, hr, md, plain, truncate } from "./elements.js";
import { chinaTime } from "./format.js";
import type { Card } from "./types.js";

const FIRST_MEASURES = 5;
const MAX_WARNINGS = 6;
const MAX_LIST = 8;

/** One changed indicator: its target before → after, and its reporting frequency as the report form words it (按季度填报). */
function changeLine(c: IndicatorChange): string {
  const parts: string[] = [];
  if (c.before !== c.after) parts.push(`${esc(c.before)} → ${esc(c.after)}`);
  const f = c.frequency;
  if (f && f.reports === 0) parts.push(`按${PERIOD_NAME[f.before]}填报 → 按${PERIOD_NAME[f.after]}填报`);
  // The import keeps the frequency of an indicator with reported values (their periods would no longer exist).
  if (f && f.reports > 0) parts.push(`<font color='orange'>文件改为按${PERIOD_NAME[f.after]}填报，但已有 ${f.reports} 条填报，仍按${PERIOD_NAME[f.before]}填报</font>`);
  return `· [${esc(c.code)}] ${esc(truncate(c.name, 24))}：${parts.join("；")}`;
}

const list = (items: string[], max = MAX_LIST) => (items.length > max ? `${items.slice(0, max).join("、")} 等 ${items.length} 项` : items.join("、"));

/** The plan the admin chose for the file to revise, and what the file itself called the plan. */
export interface ChosenRevision {
  planId: number;
  fileTitle: string;
  fileJurisdiction: string;
}

/**
 * What the parser made of a file, before anything is stored: the plan's identity, counts, warnings, the first
 * measures with their units and indicators, units matched or new, and for a revision what would change.
 * Buttons: 确认导入 stores it, 导出核对表 sends the parse as a workbook to correct and send back, 取消 discards it.
 * Below them a form picks another stored plan for the file to revise (`choices`, or its number typed); once one is
 * chosen (`chosen`, with `plan` already carrying that plan's title and jurisdiction) 确认导入 carries its id, so the
 * import updates exactly the plan the preview compared with, and a button goes back to matching by title.
 */
export function importPreviewCard(o: {
  pendingId: number;
  nonce: string;
  fileName: string;
  plan: ParsedPlan;
  preview: ImportPreview;
  fromLedger?: boolean;
  choices?: { plans: PlanChoice[]; total: number };
  chosen?: ChosenRevision;
}): Card {
  const { plan, preview: pv } = o;
  const matched = pv.units.filter((u) => u.matched);
  const fresh = pv.units.filter((u) => !u.matched);
  const els: unknown[] = [
    md(
      `**${esc(plan.title)}**\n` +
        `发文单位：${esc(plan.issuer ?? "（未识别）")}　日期：${esc(plan.issued ?? "（未识别）")}　地区：${esc(plan.jurisdiction)}\n` +
        `文件：${esc(o.fileName)}${o.fromLedger ? "（台账工作簿：按单元格原样读取，不做文字识别）" : ""}\n` +
        `识别出 **${pv.measures}** 项措施、**${pv.units.length}** 个责任单位、**${pv.indicators}** 个量化指标`,
    ),
  ];
  if (plan.warnings.length > 0) {
    const shown = plan.warnings.slice(0, MAX_WARNINGS).map((w) => `· ${esc(truncate(w, 80))}`);
    els.push(md(`<font color='orange'>**请核对 ${plan.warnings.length} 条提示**</font>\n${shown.join("\n")}${plan.warnings.length > MAX_WARNINGS ? `\n…另有 ${plan.warnings.length - MAX_WARNINGS} 条` : ""}`));
  }
  const r = pv.revision;
  const chosen = o.chosen;
  if (chosen) {
    const differs = [
      ...(chosen.fileTitle !== plan.title ? [`标题为“${esc(truncate(chosen.fileTitle, 40))}”`] : []),
      ...(chosen.fileJurisdiction !== plan.jurisdiction ? [`地区为“${esc(chosen.fileJurisdiction)}”`] : []),
    ];
    els.push(md(
      `<font color='orange'>**已指定：按方案 ${chosen.planId} 的修订版比对。**</font>确认后更新该方案，方案名称和地区保持不变` +
        (differs.length ? `（文件中的${differs.join("，")}）` : "") + "。",
    ));
  }
  if (r) {
    if (r.sameFile) {
      els.push(md(`<font color='grey'>这份文件与 ${chinaTime(r.importedAt)} 导入的版本完全相同，确认后不会有任何变化。</font>`));
    } else {
      const lines = [
        `**这是已有方案（编号 ${r.planId}，${chinaTime(r.importedAt)} 导入）的修订版**${chosen ? "（你指定的）" : ""}，确认后：`,
        `措施：新增 ${r.measuresAdded.length}、修改 ${r.measuresChanged.length}、停用 ${r.measuresRetired.length}` +
          (r.measuresRetired.length ? `（${esc(list(r.measuresRetired))}）` : ""),
        `指标：新增 ${r.indicatorsAdded.length}、修改 ${r.indicatorsChanged.filter(changesSomething).length}、停用 ${r.indicatorsRetired.length}`,
        ...r.indicatorsChanged.slice(0, MAX_LIST).map(changeLine),
        ...(r.indicatorsChanged.length > MAX_LIST ? [`· …另有 ${r.indicatorsChanged.length - MAX_LIST} 个指标有改动`] : []),
        ...r.indicatorsRetired.slice(0, MAX_LIST).map((c) => `· 停用 [${esc(c.code)}] ${esc(truncate(c.name, 24))}${c.reports ? `（已有 ${c.reports} 条填报）` : ""}`),
        r.reportsOnRetired > 0
          ? `<font color='orange'>停用的指标上有 **${r.reportsOnRetired}** 条填报记录：全部保留，可在台账“已停用指标”中查看。</font>`
          : "停用的指标上没有填报记录。",
      ];
      els.push(md(lines.join("\n")));
    }
  }
  els.push(hr());
  const first = plan.tasks.slice(0, FIRST_MEASURES).map((t) => {
    const support = t.support.length ? `　配合：${esc(list(t.support, 4))}` : "";
    const inds = t.indicators.slice(0, 3).map((i) => `　· ${esc(truncate(i.name, 24))} ${i.cmp === ">=" ? "≥" : i.cmp === "<=" ? "≤" : "="}${i.target}${esc(i.unit ?? "")}${i.year ? `（${i.year}年）` : ""}`);
    return [`**[${esc(t.code)}]** ${esc(truncate(t.title ?? t.text, 40))}`, `　牵头：${esc(list(t.lead, 4)) || "（未识别）"}${support}`, ...inds].join("\n");
  });
  els.push(md(`**前 ${Math.min(FIRST_MEASURES, plan.tasks.length)} 项措施**\n${first.join("\n")}${plan.tasks.length > FIRST_MEASURES ? `\n…共 ${plan.tasks.length} 项` : ""}`));
  els.push(
    md(
      `**责任单位**：已有 ${matched.length} 个，新建 ${fresh.length} 个\n` +
        (matched.length ? `已匹配：${esc(list(matched.map((u) => (u.printed === u.matched!.name ? u.printed : `${u.printed}→${u.matched!.name}`))))}\n` : "") +
        (fresh.length ? `<font color='orange'>新单位：${esc(list(fresh.map((u) => u.printed)))}</font>` : ""),
    ),
  );
  els.push(md("<font color='grey'>确认前不会保存任何内容。确认后各单位即可在 /我的任务 中看到本方案的任务；已有的填报记录全部保留。</font>"));
  const value = { pending_id: o.pendingId, nonce: o.nonce };
  const confirmValue = chosen ? { ...value, revises: chosen.planId } : value;
  els.push({
    tag: "column_set",
    flex_mode: "none",
    horizontal_spacing: "8px",
    columns: [
      { tag: "column", width: "auto", elements: [button("确认导入", { action: "confirm_import", ...confirmValue }, { type: "primary" })] },
      { tag: "column", width: "auto", elements: [button("导出核对表", { action: "export_parse", ...value }, { type: "default" })] },
      { tag: "column", width: "auto", elements: [button("取消", { action: "cancel_import", ...value }, { type: "default" })] },
    ],
  });
  els.push(...revisionPicker(o, value, r !== null));
  return card(r && !r.sameFile ? "方案修订预览" : "方案导入预览", els, { color: r && !r.sameFile ? "orange" : "blue", summary: `导入预览：${truncate(plan.title, 20)}` });
}

/** Most stored plans the picker lists; any other is reached by typing its number. */
export const MAX_PLAN_CHOICES = 20;

/**
 * 是否为已有方案的修订版: a drop-down of stored plans (bounded, so the card stays far below 200 elements and 30 KB)
 * and a box for a plan number, submitted together (a form: Feishu sends the chosen option and the typed text in
 * form_value with the button's value); and, once a plan is chosen, a button back to the match by title.
 */
function revisionPicker(o: Parameters<typeof importPreviewCard>[0], value: Record<string, unknown>, comparing: boolean): unknown[] {
  const ledger = o.fromLedger ? { from_ledger: true } : {};
  const out: unknown[] = [];
  const choices = o.choices;
  if (choices && choices.total > 0 && choices.plans.length > 0) {
    const hidden = choices.total - choices.plans.length;
    out.push(md(
      (comparing ? "**比对的方案不对？**改选另一个已有方案，预览会改为与它比对。" : "**是否为已有方案的修订版？**是的话请选择该方案（或填写方案编号），预览会列出与它相比的改动；不选则作为新方案导入。") +
        (hidden > 0 ? `\n<font color='grey'>下拉列表列出 ${choices.plans.length} 个方案（本地区的在前），另有 ${hidden} 个未列出：请填写方案编号。</font>` : ""),
    ));
    out.push({
      tag: "form",
      name: "revises_form",
      elements: [
        {
          tag: "select_static",
          name: "revises_pick",
          placeholder: plain("选择已有方案"),
          width: "fill",
          options: choices.plans.map((p) => ({
            text: plain(`${truncate(p.title, 30)}（${p.jurisdiction === o.plan.jurisdiction ? "" : `${truncate(p.jurisdiction, 10)}，`}编号 ${p.id}）`),
            value: String(p.id),
          })),
        },
        { tag: "input", name: "revises_id", max_length: 20, label: plain("方案编号"), placeholder: plain("或填写方案编号，例如 6") },
        {
          tag: "button",
          name: "revises_submit",
          type: "default",
          form_action_type: "submit",
          text: plain("按所选方案比对"),
          behaviors: [{ type: "callback", value: { action: "revise_import", ...value, ...ledger } }],
        },
      ],
    });
  }
  if (o.chosen) out.push(button("改回按文件标题比对", { action: "revise_import", ...value, ...ledger, reset: true }));
  return out;
}

export function importDoneCard(o: { title: string; planId: number; measures: number; units: number; indicators: number; byOpenId: string; revision: boolean }): Card {
  return card(o.revision ? "方案已更新" : "方案已导入", [
    md(
      `**${esc(o.title)}**（方案编号 ${o.planId}）\n${o.measures} 项措施、${o.units} 个责任单位、${o.indicators} 个指标` +
        `\n由 <at id="${o.byOpenId}"></at> 确认导入。各单位发送 /我的任务 即可查看；督办室发送 /导出 方案 ${o.planId} 获取台账。`,
    ),
  ], { color: "green" });
}

export function importCancelledCard(fileName: string): Card {
  return card("已取消导入", [md(`《${esc(fileName)}》未导入，没有保存任何内容。`)], { color: "grey" });
}

/** A file that cannot be imported: why, and what to send instead. */
export function importRefusedCard(fileName: string, why: string): Card {
  return card("无法导入该文件", [md(`文件：${esc(fileName)}\n${esc(why)}`)], { color: "red" });
}
