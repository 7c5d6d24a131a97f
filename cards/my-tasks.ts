import type { TaskView } from "../src/domain/tasks.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import type { Unit } from "../src/store/schema.js";
import { cardMeasurer, paginateByBudget, type CardMeasurer } from "./budget.js";
import type { Written } from "./elements.js";
import { button, card, esc, hr, md, truncate, writtenButton, writtenMd, writtenRowWithButton } from "./elements.js";
import { periodLabel } from "../src/domain/period.js";
import { latestText, statusBadge, statusReason, targetText, withUnit } from "./format.js";
import { withKnownJson } from "./serialised.js";
import type { Card } from "./types.js";

export interface MyTasksInput {
  unit: Unit;
  tasks: TaskView[];
  page: number;
  /** Today in China time, ISO date, to mark deadlines that have passed. */
  today: string;
  /**
   * Sent to a whole group (/我的任务 公开). Its buttons say so, and a click answers the clicker with a card of their
   * own: a callback that returned a card would replace this one for every member (JSON 2.0 cards are all shared).
   */
  shared?: boolean;
  /** The sender's other units: the card offers a switch to each (at most five buttons). */
  otherUnits?: Unit[];
}

/** One measure on a page; `shown` indicators are listed (fewer than all only when one measure alone overflows a card). */
interface Block {
  task: TaskView;
  shown: number;
}

/**
 * 我的任务: the unit's measures, led first, then supported; each indicator with target, latest value, status and a
 * 上报 button. Pages are cut by the card budget (elements as Feishu counts them, and bytes), not by a number of
 * measures, so a unit with long measures or many indicators never gets a card Feishu rejects.
 */
export function myTasksCard(input: MyTasksInput): Card {
  return myTasksPages(input).card(input.page);
}

/** Number of pages /我的任务 has for this unit. */
export function myTasksPageCount(input: Omit<MyTasksInput, "page">): number {
  return myTasksPages(input).count;
}

/** The unit's pages cut once: how many there are and any one of them (a command checks the page asked for first). */
export function myTasksPages(input: Omit<MyTasksInput, "page">): { count: number; card(page: number): Card } {
  // The page sent is put together from the JSON its rows were measured by while cutting, not serialised again.
  const measure = cardMeasurer();
  const parts = sharedParts(input, measure);
  const pages = myTasksLayout(input, parts, measure);
  return {
    count: pages.length,
    card(page) {
      const p = Math.min(Math.max(1, page), pages.length);
      const c = render(input, parts, pages[p - 1]!, p, pages.length);
      return withKnownJson(c, measure.json(c));
    },
  };
}

function myTasksLayout(input: Omit<MyTasksInput, "page">, parts: SharedParts, measure: CardMeasurer): Block[][] {
  const ordered = [...input.tasks.filter((t) => t.role === "lead"), ...input.tasks.filter((t) => t.role === "support")];
  const blocks = ordered.map((task) => ({ task, shown: task.indicators.length }));
  // Measured with the widest furniture (both page buttons, a two-digit page label), so every page fits as rendered.
  return paginateByBudget(
    blocks,
    (page) => render(input, parts, page, 2, 99),
    (b) => (b.shown > 0 ? { ...b, shown: Math.floor(b.shown / 2) } : null),
    undefined,
    measure,
  );
}

/**
 * What every page of one unit's card has in common, built once: the counts, the lines above the measures, and each
 * block's rows. Cutting pages builds a card per block and per page tried; the same element objects then let the
 * budget measure each block once (cards/budget.ts cardMeasurer) instead of building and serialising it again.
 */
interface SharedParts {
  top: unknown[];
  rows(block: Block): unknown[];
  /** The divider and title that open a section (牵头任务 / 配合任务). */
  section(title: string): unknown[];
  /** The divider, page line and buttons of page p of n. */
  nav(p: number, pages: number): unknown[];
  /** The card around the elements: title, subtitle, colour and summary are the same on every page. */
  shell: Card;
  /** Under a card sent to a whole group: clicks answer the clicker alone. */
  sharedNote: unknown;
}

function sharedParts({ unit, tasks, today, shared, otherUnits = [] }: Omit<MyTasksInput, "page">, measure: CardMeasurer): SharedParts {
  const mark = shared ? { shared: 1 } : {};
  const leadCount = tasks.filter((t) => t.role === "lead").length;
  const supportCount = tasks.filter((t) => t.role === "support").length;
  const indicators = tasks.flatMap((t) => t.indicators);
  const behind = indicators.filter((i) => i.status.status === "behind" || i.status.status === "overdue").length;
  const missing = indicators.filter((i) => !i.reportedThisPeriod).length;

  const top: unknown[] = [
    md(`牵头 **${leadCount}** 项 · 配合 **${supportCount}** 项 · 指标 **${indicators.length}** 个` +
      (indicators.length ? ` · 本期未填报 **${missing}** 个 · 滞后/逾期 **${behind}** 个` : "")),
  ];
  if (otherUnits.length > 0) {
    top.push(md(`<font color='grey'>您还绑定了 ${otherUnits.length} 个单位，可切换查看（或发送 /我的任务 单位名称）：</font>`),
      ...otherUnits.slice(0, 5).map((u) => button(`切换到 ${u.name}`, { action: "page", view: "my_tasks", unit_id: u.id, page: 1, ...mark })));
  }
  if (tasks.length === 0) {
    top.push(md("本单位目前没有分配到的任务。如单位有误，请发送 /绑定 单位名称 重新绑定。"));
  }
  const built = new WeakMap<Block, unknown[]>();
  const rows = (block: Block) => {
    let r = built.get(block);
    if (!r) {
      r = blockRows(block, unit, today, mark).map(measure.know);
      built.set(block, r);
    }
    return r;
  };
  const sections = new Map<string, unknown[]>();
  const section = (title: string) => {
    let head = sections.get(title);
    if (!head) {
      head = [hr(), md(`**${title}**`)];
      sections.set(title, head);
    }
    return head;
  };
  // Every page tried while cutting has the same furniture (page 2 of 99): built once, it is measured once.
  const navs = new Map<string, unknown[]>();
  const nav = (p: number, pages: number) => {
    const key = `${p}/${pages}`;
    let n = navs.get(key);
    if (!n) {
      n = [hr(), md(`第 ${p}/${pages} 页　发送 /我的任务 页码 可直接翻到某页`)];
      if (p > 1) n.push(button("上一页", { action: "page", view: "my_tasks", unit_id: unit.id, page: p - 1, ...mark }));
      if (p < pages) n.push(button("下一页", { action: "page", view: "my_tasks", unit_id: unit.id, page: p + 1, ...mark }));
      navs.set(key, n);
    }
    return n;
  };
  const shell = card(`我的任务 · ${unitLabel(unit)}`, [], {
    subtitle: "发送 /上报 指标关键词 可直接填报",
    color: behind > 0 ? "orange" : "blue",
    summary: `${unit.name}：牵头${leadCount}项，配合${supportCount}项`,
  });
  const sharedNote = md("<font color='grey'>点“上报”或翻页，结果只发给您本人，群里的这张卡片保持不变。</font>");
  return { top, rows, section, nav, shell, sharedNote };
}

/** A block's rows written out (JSON and element count known): the cut measures every row of the unit. */
function blockRows({ task: t, shown }: Block, unit: Unit, today: string, mark: { shared?: number }): Written[] {
  const rows: Written[] = [writtenMd(taskLine(t, today))];
  for (const i of t.indicators.slice(0, shown)) {
    const line = `· ${esc(i.name)}　目标 ${esc(targetText(i))}\n　最新 ${esc(latestText(i))}　${statusBadge(i.status.status)}` +
      (i.reportedThisPeriod ? "" : `　<font color='grey'>本期（${i.currentPeriod}）未填报</font>`) +
      `\n　<font color='grey'>${esc(statusReason(i, i.latest?.value ?? null))}</font>` +
      (i.supporting.length ? `\n　<font color='grey'>配合单位填报：${i.supporting.map((v) => `${esc(v.unitName)} ${esc(withUnit(v.value, i.unitOfMeasure))}（${periodLabel(v.period)}）`).join("；")}</font>` : "");
    rows.push(writtenRowWithButton(line, writtenButton("上报", { action: "open_report_form", indicator_id: i.id, unit_id: unit.id, ...mark }, { type: "primary" })));
  }
  if (shown < t.indicators.length) {
    rows.push(writtenMd(`<font color='grey'>另有 ${t.indicators.length - shown} 个指标未列出：发送 /上报 指标关键词 填报。</font>`));
  }
  return rows;
}

/**
 * One page. Built from the shared parts' objects (shell, rows, section titles, navigation), not fresh ones: the cut
 * builds a page per block and per page tried, and the budget measures an object it has seen by identity.
 */
function render({ shared }: Omit<MyTasksInput, "page">, parts: SharedParts, slice: Block[], p: number, pages: number): Card {
  const elements: unknown[] = [...parts.top];
  let shownSection: string | null = null;
  for (const block of slice) {
    const section = block.task.role === "lead" ? "牵头任务" : "配合任务";
    if (section !== shownSection) {
      elements.push(...parts.section(section));
      shownSection = section;
    }
    elements.push(...parts.rows(block));
  }
  if (pages > 1) elements.push(...parts.nav(p, pages));
  if (shared) elements.push(parts.sharedNote);
  return { ...parts.shell, body: { ...parts.shell.body, elements } };
}

function taskLine(t: TaskView, today: string): string {
  const head = t.title ? `**${esc(t.title)}**　` : "";
  const due = t.deadline
    ? t.deadline < today
      ? `　<font color='red'>已超期（${t.deadline}）</font>`
      : `　截止 ${t.deadline}`
    : t.deadlineText
      ? `　时限：${esc(t.deadlineText)}`
      : "";
  const via = t.viaGroup ? `（通过“${esc(t.viaGroup)}”）` : "";
  const others = t.units.map((u) => u.name).join("、");
  const body = t.title && t.text.startsWith(t.title) ? t.text.slice(t.title.length).replace(/^[。.\s]+/, "") : t.text;
  return `**[${esc(t.code)}]** ${head}${esc(truncate(body, 90))}${due}\n<font color='grey'>责任单位：${esc(others)}${via}</font>`;
}
