import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindDecisionCard, bindRequestCard } from "../cards/bind.js";
import { CARD_LIMITS, cardMeasurer, cardSize, countElements, utf8Length, utf8LengthByLoop } from "../cards/budget.js";
import { writtenButton, writtenMd, writtenRowWithButton } from "../cards/elements.js";
import { cardJson, withKnownJson } from "../cards/serialised.js";
import { payloadJson } from "../src/lark/outbox.js";
import { importPreviewCard, MAX_PLAN_CHOICES } from "../cards/import-preview.js";
import { supervisorDigestCard, unitDigestCard } from "../cards/digest.js";
import { myTasksCard, myTasksPageCount, myTasksPages } from "../cards/my-tasks.js";
import { errorCard, noticeCard } from "../cards/notice.js";
import { progressCard, taskProgressCard } from "../cards/progress.js";
import { reportFormCard } from "../cards/report-form.js";
import { reportReceiptCard, supportReportedCard } from "../cards/report-receipt.js";
import type { Card } from "../cards/types.js";
import { fixedClock } from "../src/clock.js";
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { unitProgress } from "../src/domain/progress.js";
import { unitTasks, type IndicatorView, type TaskView } from "../src/domain/tasks.js";
import { seedStore } from "../src/node/seed.js";
import type { Unit } from "../src/store/schema.js";
import { openSqlite, type SqliteStore } from "../src/store/sqlite.js";
import { lintCard } from "./support/card-lint.js";

const expectValid = (c: Card, what: string) => expect(lintCard(c).problems, what).toEqual([]);

describe("the card linter itself", () => {
  const base = (elements: unknown[]): Card => ({ schema: "2.0", config: { update_multi: true }, body: { elements } });

  it("rejects what Feishu rejects: unknown properties and tags, misplaced tables and forms, unnamed form fields", () => {
    expect(lintCard(base([{ tag: "markdown", content: "x", colour: "red" }])).problems.join()).toMatch(/colour|Unrecognized/i);
    expect(lintCard(base([{ tag: "div", text: { tag: "plain_text", content: "1.0 only" } }])).problems).not.toEqual([]);
    const tableInColumn = { tag: "column_set", columns: [{ tag: "column", elements: [{ tag: "table", columns: [{ name: "a", data_type: "text" }], rows: [] }] }] };
    expect(lintCard(base([tableInColumn])).problems.join()).toMatch(/root/);
    const unnamed = { tag: "form", name: "f", elements: [{ tag: "input" }] };
    expect(lintCard(base([unnamed])).problems.join()).toMatch(/name/);
    expect(lintCard({ ...base([]), config: { update_multi: false } }).problems).not.toEqual([]);
  });

  it("counts plain_text as an element and stops at 200 elements and 30 KB", () => {
    const buttons = Array.from({ length: 100 }, (_, k) => ({ tag: "button", text: { tag: "plain_text", content: `b${k}` }, behaviors: [{ type: "callback", value: { k } }] }));
    const r = lintCard(base(buttons));
    expect(r.elements).toBe(200);
    expect(r.problems).toEqual([]);
    expect(lintCard(base([...buttons, { tag: "hr" }])).problems.join()).toMatch(/201 elements/);
    expect(lintCard(base([{ tag: "markdown", content: "字".repeat(11_000) }])).problems.join()).toMatch(/bytes/);
  });

  it("measures cards sharing element objects exactly as serialised, each element measured once per measurer", () => {
    const shared = [
      { tag: "markdown", content: "牵头任务 **3** 项 · 😀 emoji, \"quotes\" and \\ and \n" },
      { tag: "column_set", columns: [{ tag: "column", elements: [{ tag: "markdown", content: "é ü ñ" }, { tag: "button", text: { tag: "plain_text", content: "上报" }, behaviors: [{ type: "callback", value: { tag: "not counted" } }] }] }] },
      { tag: "table", columns: [{ name: "a", display_name: "单位", data_type: "text" }], rows: [{ a: "x", tag: "data, not an element" }] },
      undefined,
      "a bare string",
      7,
    ];
    const measure = cardMeasurer();
    for (let k = 0; k <= shared.length; k++) {
      const elements = [{ tag: "hr" }, ...shared.slice(0, k), ...shared.slice(0, k)];
      const c: Card = { schema: "2.0", config: { summary: { content: `第 ${k} 页` } }, header: { title: { tag: "plain_text", content: "我的任务" } }, body: { direction: "vertical", elements } };
      expect(measure(c)).toEqual(cardSize(c));
    }
    expect(measure({ schema: "2.0", body: { elements: [] } })).toEqual(cardSize({ schema: "2.0", body: { elements: [] } }));
  });

  it("measures pages sharing one header exactly, and notices when anything else around the elements differs", () => {
    const header = { title: { tag: "plain_text", content: "我的任务 · 😀" } };
    const config = { summary: { content: "牵头 3 项" } };
    const row = { tag: "markdown", content: "指标" };
    const measure = cardMeasurer();
    const pages: Card[] = [
      { schema: "2.0", config, header, body: { elements: [row] } },
      { schema: "2.0", config, header, body: { elements: [row, row] } },
      { schema: "2.0", config: { summary: { content: "牵头 30 项，配合 4 项" } }, header, body: { elements: [row] } },
      { schema: "2.0", header, config, body: { elements: [row] } },
      { schema: "2.0", config, header, body: { direction: "vertical", elements: [row] } },
      { schema: "2.0", config, header, body: { elements: [] }, card_link: { url: "https://example.com" } },
      { schema: "2.0", config, header, body: { elements: [row] } },
    ];
    for (const c of pages) expect(measure(c)).toEqual(cardSize(c));
  });

  it("sends a card whose JSON is known as exactly what serialising it gives, and refuses to let it change afterwards", () => {
    const c = withKnownJson({ schema: "2.0", header: { title: { tag: "plain_text", content: "我的任务" } }, body: { elements: [{ tag: "markdown", content: "x" }] } },
      JSON.stringify({ schema: "2.0", header: { title: { tag: "plain_text", content: "我的任务" } }, body: { elements: [{ tag: "markdown", content: "x" }] } }));
    for (const payload of [{ card: c }, { card: c, chatId: "oc_1", openId: "ou_1", viewer: "ou_1", ledgerEventId: 3 }, { card: c, urgent: { after: "k", userIds: ["ou_2"] } }]) {
      expect(payloadJson(payload)).toBe(JSON.stringify(payload));
    }
    expect(payloadJson({ chatId: "oc_1", card: c })).toBe(JSON.stringify({ chatId: "oc_1", card: c }));
    expect(() => c.body.elements.push({ tag: "hr" })).toThrow();
    expect(() => { c.body = { elements: [] }; }).toThrow();
  });

  it("writes elements out exactly as they serialise, and counts them as Feishu does", () => {
    const texts = ["", "上报", "a \"quoted\" \\ back\nslash\ttab", "😀 \u2028 \u2029 \u0000 \ud800 lone", "<font color='grey'>本期（2026Q4）未填报</font>"];
    const values = [{}, { action: "open_report_form", indicator_id: 3, unit_id: 7 }, { action: "page", page: 2, shared: 1, note: "引号\"", skipped: undefined, nested: { tag: "data" } }];
    const options = [{}, { type: "primary" as const }, { name: "b\"1", type: "danger" as const, size: "tiny" as const }];
    for (const t of texts) {
      const m = writtenMd(t);
      expect([m.json, m.elements]).toEqual([JSON.stringify(m.element), countElements(m.element)]);
      for (const v of values) {
        for (const o of options) {
          const b = writtenButton(t, v, o);
          expect([b.json, b.elements]).toEqual([JSON.stringify(b.element), countElements(b.element)]);
          const r = writtenRowWithButton(t, b);
          expect([r.json, r.elements]).toEqual([JSON.stringify(r.element), countElements(r.element)]);
        }
      }
    }
  });

  it("counts UTF-8 bytes the same natively and by its own loop", () => {
    for (const s of ["", "ascii", "é ü ñ", "督办助手", "😀 emoji 𠀀", "\u0000 \" x", "字".repeat(5000)]) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      expect(utf8LengthByLoop(s)).toBe(new TextEncoder().encode(s).length);
    }
  });

  it("checks the select's initial choice points at an option that exists", () => {
    const sel = (extra: object) => base([{ tag: "form", name: "f", elements: [{ tag: "select_static", name: "s", options: [{ text: { tag: "plain_text", content: "甲" }, value: "1" }], ...extra }] }]);
    expect(lintCard(sel({ initial_index: 1 })).problems).toEqual([]);
    expect(lintCard(sel({ initial_index: 2 })).problems.join()).toMatch(/initial_index/);
    expect(lintCard(sel({ initial_option: "9" })).problems.join()).toMatch(/initial_option/);
  });
});

// Synthetic inputs in the shape the domain produces, with long texts, to push each builder towards its limits.
const unit: Unit = { id: 7, jurisdiction: "重庆市渝中区", name: "区卫健委", kind: "unit" };
function indicator(id: number, over: Partial<IndicatorView> = {}): IndicatorView {
  return {
    id, taskId: 1, name: `家庭医生签约服务重点人群覆盖率及基层医疗卫生机构服务能力提升指标第${id}项`, unitOfMeasure: "%", cmp: ">=", target: 75, targetYear: 2027,
    dueYear: 2027, dueYearSource: "text", baseline: 60, baselineYear: 2024, quote: "重点人群签约服务覆盖率达到75%以上，".repeat(4), periodKind: "quarter", currentPeriod: "2026Q4", planYear: 2024,
    latest: { value: 68.5, period: "2026Q3", reportedAt: "2026-10-09T02:00:00.000Z", unitName: "区卫健委" },
    previous: 66, supporting: [], reportedThisPeriod: false, status: { status: "behind", expected: 71, progress: 0.57 }, ...over,
  };
}
function task(id: number, role: "lead" | "support", indicators: IndicatorView[]): TaskView {
  return {
    id, planTitle: "渝中区基层卫生健康便民惠民服务举措实施方案", jurisdiction: "重庆市渝中区", code: `${id}`, title: `任务${id}`,
    text: `（${id}）提升家庭医生签约服务质量，扩大重点人群覆盖面，推进基层医疗卫生机构标准化建设和服务能力提升。`.repeat(2),
    deadline: "2026-12-31", deadlineText: "2026年12月底前", role, viaGroup: null,
    units: [{ name: "区卫健委", role: "lead" }, { name: "区医保局", role: "support" }, { name: "各街道办事处", role: "support" }], indicators,
  };
}

describe("every card builder passes the linter", () => {
  it("/我的任务 for a 50-measure unit: every page passes, and each measure appears on exactly one page", () => {
    const tasks = Array.from({ length: 50 }, (_, k) => task(k + 1, k < 30 ? "lead" : "support", Array.from({ length: k % 7 }, (_, j) => indicator(1000 + k * 10 + j))));
    const input = { unit, tasks, today: "2026-11-24" };
    const pages = myTasksPageCount(input);
    expect(pages).toBeGreaterThan(1);
    const seen: string[] = [];
    for (let page = 1; page <= pages; page++) {
      const c = myTasksCard({ ...input, page });
      expectValid(c, `page ${page}`);
      const s = JSON.stringify(c);
      // What the outbox stores for it is exactly the card.
      expect(cardJson(c)).toBe(s);
      seen.push(...[...s.matchAll(/\*\*\[(\d+)\]\*\*/g)].map((m) => m[1]!));
      expect(s).toContain(`第 ${page}/${pages} 页`);
    }
    expect(seen).toEqual(tasks.map((t) => t.code));
  });

  it("/我的任务 sent to a group, with other units and awkward text: each page sent is exactly its card, within Feishu's limits, every measure once", () => {
    const awkward = (id: number) => indicator(id, {
      name: `指标 "${id}" \\ 😀\u2028第二行`, supporting: [{ unitName: "区医保局\n（配合）", value: 12.5, period: "2026Q3" }] as IndicatorView["supporting"],
      reportedThisPeriod: id % 2 === 0,
    });
    const tasks = Array.from({ length: 40 }, (_, k) => task(k + 1, k % 3 ? "lead" : "support", Array.from({ length: k % 9 }, (_, j) => awkward(2000 + k * 10 + j))));
    const otherUnits: Unit[] = [{ id: 8, jurisdiction: "J", name: "区医保局 \"二\"", kind: "unit" }, { id: 9, jurisdiction: "J", name: "😀", kind: "unit" }];
    const paged = myTasksPages({ unit, tasks, today: "2026-11-24", shared: true, otherUnits });
    expect(paged.count).toBeGreaterThan(2);
    const seen: string[] = [];
    for (let page = 1; page <= paged.count; page++) {
      const c = paged.card(page);
      expectValid(c, `page ${page}`);
      const s = JSON.stringify(c);
      expect(cardJson(c)).toBe(s);
      expect(payloadJson({ card: c, chatId: "oc_1" })).toBe(JSON.stringify({ card: c, chatId: "oc_1" }));
      expect(cardSize(c).elements).toBeLessThanOrEqual(CARD_LIMITS.elements);
      expect(utf8Length(s)).toBeLessThanOrEqual(CARD_LIMITS.bytes);
      seen.push(...[...s.matchAll(/\*\*\[(\d+)\]\*\*/g)].map((m) => m[1]!));
    }
    expect(seen).toEqual([...tasks.filter((t) => t.role === "lead"), ...tasks.filter((t) => t.role === "support")].map((t) => t.code));
  });

  it("/我的任务: one measure with more indicators than a card holds is cut, and says how to reach the rest", () => {
    const tasks = [task(1, "lead", Array.from({ length: 60 }, (_, j) => indicator(j + 1)))];
    const c = myTasksCard({ unit, tasks, page: 1, today: "2026-11-24" });
    expectValid(c, "one huge measure");
    expect(JSON.stringify(c)).toMatch(/另有 \d+ 个指标未列出/);
  });

  it("report form with 150 indicators keeps the preselected one selectable and stays within the limits", () => {
    const indicators = Array.from({ length: 150 }, (_, k) => indicator(k + 1));
    const c = reportFormCard({ unit, indicators, selectedId: 150, issuedAt: "2026-11-24T01:00:00.000Z", nonce: "n" });
    expectValid(c, "report form");
    const form = (c.body.elements as any[]).find((e) => e.tag === "form");
    const select = form.elements.find((e: any) => e.tag === "select_static");
    expect(select.options[select.initial_index - 1].value).toBe("150");
    expect(form.elements.find((e: any) => e.name === "note").input_type).toBe("multiline_text");
    expect(JSON.stringify(c)).toMatch(/其余请发送 \/上报 指标关键词 筛选/);
  });

  it("receipt, bind, notice, progress and digest cards", () => {
    const i = indicator(11);
    expectValid(reportReceiptCard({ unit, indicator: i, value: 72.5, period: "2026Q4", note: "含新签约\n第二行", reporterOpenId: "ou_a", reportedAt: "2026-11-24T01:02:03.000Z", duplicate: true, enteredStatus: i.status }), "receipt");
    expectValid(supportReportedCard({ leadUnit: unit, reporterUnit: unit, indicator: i, value: 1, period: "2026Q4" }), "support notice");
    expectValid(bindRequestCard({ requestId: 1, openId: "ou_x", unit, requestedAt: "2026-11-24T01:00:00.000Z" }), "bind request");
    expectValid(bindDecisionCard({ approved: false, unit, byOpenId: "ou_admin" }), "bind decision");
    expectValid(errorCard("出错"), "error");
    expectValid(noticeCard("提示", "内容", "green"), "notice");
    expectValid(taskProgressCard(task(3, "lead", [i, indicator(12)])), "task progress");
  });

  it("import preview at its largest: many warnings, changes and units, 20 long plan choices, another plan chosen", () => {
    const long = (s: string) => s + "（" + "关于进一步完善医疗卫生服务体系的实施方案及任务分解表".repeat(2) + "）";
    const tasks = Array.from({ length: 60 }, (_, k) => ({
      code: String(k + 1), section: null, title: null, head: "", text: long(`措施${k + 1}`), units: [`单位${k}`, `单位${k + 1}`], lead: [`单位${k}`], support: [`单位${k + 1}`],
      deadline: null, deadline_text: null,
      indicators: [1, 2, 3, 4].map((n) => ({ name: long(`指标${n}`), target: 85, unit: "%", cmp: ">=" as const, year: 2027, baseline: null, baseline_year: null, quote: "" })),
    }));
    const plan = { title: long("某区"), issuer: long("某区人民政府办公室"), issued: "2026-01-01", jurisdiction: "某省某市某区", sections: [], tasks, warnings: Array.from({ length: 40 }, (_, k) => long(`提示${k}`)) };
    const change = (k: number) => ({ code: String(k), name: long("指标"), before: "≥80%（2027年）", after: "≥85%（2027年）", frequency: { before: "quarter" as const, after: "month" as const, reports: k % 2 } });
    const preview = {
      measures: 60, indicators: 240,
      units: Array.from({ length: 61 }, (_, k) => ({ printed: long(`单位${k}`), matched: k % 2 ? { name: long(`单位${k}`), alias: "x" } : null })),
      revision: {
        planId: 3, importedAt: "2026-11-24T01:00:00.000Z", sameFile: false,
        measuresAdded: ["1"], measuresChanged: ["2"], measuresRetired: Array.from({ length: 30 }, (_, k) => long(String(k))),
        indicatorsAdded: [], indicatorsChanged: Array.from({ length: 50 }, (_, k) => change(k)),
        indicatorsRetired: Array.from({ length: 50 }, (_, k) => ({ code: String(k), name: long("指标"), reports: k })), reportsOnRetired: 1225,
      },
    };
    const plans = Array.from({ length: MAX_PLAN_CHOICES }, (_, k) => ({ id: k + 10, title: long(`方案${k}`), jurisdiction: long("某省某市某县"), imported_at: "2026-01-01T00:00:00Z" }));
    const c = importPreviewCard({ pendingId: 1, nonce: "n".repeat(36), fileName: long("文件") + ".docx", plan, preview, fromLedger: true, choices: { plans, total: 500 }, chosen: { planId: 3, fileTitle: long("别的标题"), fileJurisdiction: "别的地区" } });
    expectValid(c, "import preview");
    expect(cardSize(c).bytes).toBeLessThan(30 * 1024);
  });
});

describe("cards built from all seeds pass the linter", () => {
  let store: SqliteStore;
  const now = new Date("2026-11-30T01:00:00Z");
  beforeAll(async () => {
    store = openSqlite({ path: ":memory:" });
    await seedStore(store.db, "seeds", fixedClock(now.toISOString()), { demoRoster: true });
  });
  afterAll(() => store.close());

  it("every unit's /我的任务 pages, report form and digest; the supervisor's progress and digest; every measure's progress", async () => {
    const units = await store.db.selectFrom("units").selectAll().execute();
    let largest = { what: "", elements: 0, bytes: 0 };
    const check = (c: Card, what: string) => {
      expectValid(c, what);
      const s = cardSize(c);
      if (s.bytes > largest.bytes) largest = { what, ...s };
    };
    for (const u of units) {
      const tasks = await unitTasks(store.db, u, now);
      const pages = myTasksPageCount({ unit: u, tasks, today: "2026-11-30" });
      for (let page = 1; page <= pages; page++) {
        const c = myTasksCard({ unit: u, tasks, page, today: "2026-11-30" });
        check(c, `${u.name} 我的任务 ${page}`);
        expect(cardJson(c)).toBe(JSON.stringify(c));
      }
      const indicators = tasks.flatMap((t) => t.indicators);
      if (indicators.length) {
        check(reportFormCard({ unit: u, indicators, issuedAt: now.toISOString(), nonce: "n" }), `${u.name} 上报`);
        check(reportFormCard({ unit: u, indicators, selectedId: indicators.at(-1)!.id, issuedAt: now.toISOString(), nonce: "n" }), `${u.name} 上报 preselected`);
      }
      if (u.kind === "unit") check(unitDigestCard(await buildUnitDigest(store.db, u, now)), `${u.name} 周报`);
      for (const t of tasks) check(taskProgressCard(t), `[${t.code}] 进度`);
    }
    const { rows, behind } = await unitProgress(store.db, units.filter((u) => u.kind === "unit"), now);
    check(progressCard({ title: "全部单位进度", rows, behind, scopeNote: "督办视图" }), "全部单位进度");
    check(supervisorDigestCard(await buildSupervisorDigest(store.db, now)), "督办周报");
    // The figure the issue tracks: the largest card any seed produces.
    console.log(`largest seed card: ${largest.what}: ${largest.elements} elements, ${largest.bytes} bytes`);
  });
});
