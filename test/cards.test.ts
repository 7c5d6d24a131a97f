import { describe, expect, it } from "vitest";
import { bindDecisionCard, bindRequestCard } from "../cards/bind.js";
import { confirmValueCard } from "../cards/confirm-value.js";
import { myTasksCard, myTasksPageCount } from "../cards/my-tasks.js";
import { errorCard } from "../cards/notice.js";
import { progressCard } from "../cards/progress.js";
import { reportFormCard } from "../cards/report-form.js";
import { reportReceiptCard, supportReportedCard } from "../cards/report-receipt.js";
import type { Card } from "../cards/types.js";
import type { IndicatorView, TaskView } from "../src/domain/tasks.js";
import type { Unit } from "../src/store/schema.js";
import { lintCard } from "./support/card-lint.js";

// Small fixed inputs: the snapshots are the reviewed shape of each card an official sees.
const unit: Unit = { id: 7, jurisdiction: "重庆市渝中区", name: "区卫健委", kind: "unit" };
const leadUnit: Unit = { id: 8, jurisdiction: "重庆市渝中区", name: "区医保局", kind: "unit" };

function indicator(id: number, over: Partial<IndicatorView> = {}): IndicatorView {
  return {
    id, taskId: 1, name: `家庭医生签约服务重点人群覆盖率${id}`, unitOfMeasure: "%", cmp: ">=", target: 75, targetYear: 2027, dueYear: 2027, dueYearSource: "text",
    baseline: 60, baselineYear: 2024, quote: "重点人群签约服务覆盖率达到75%以上", periodKind: "quarter", currentPeriod: "2026Q4", planYear: 2024,
    latest: { value: 68.5, period: "2026Q3", reportedAt: "2026-10-09T02:00:00.000Z", unitName: "区卫健委" },
    previous: 66, supporting: [], reportedThisPeriod: false, status: { status: "behind", expected: 71, progress: 0.57 }, ...over,
  };
}

function task(id: number, role: "lead" | "support", indicators: IndicatorView[]): TaskView {
  return {
    id, planTitle: "渝中区基层卫生健康便民惠民服务举措实施方案", jurisdiction: "重庆市渝中区", code: `${id}`, title: `任务${id}`,
    text: `（${id}）提升家庭医生签约服务质量，扩大重点人群覆盖面。`, deadline: "2026-12-31", deadlineText: "2026年12月底前",
    role, viaGroup: null, units: [{ name: "区卫健委", role: "lead" }, { name: "区医保局", role: "support" }], indicators,
  };
}

/** Every card here must pass the card linter (schema from the Feishu docs, 200 elements, 30 KB). */
function expectWithinLarkLimits(c: Card) {
  expect(lintCard(c).problems).toEqual([]);
}

const texts = (c: Card) => JSON.stringify(c);

describe("my-tasks card", () => {
  it("lists led and supported measures separately, each indicator with target, latest value, status and a 上报 button", () => {
    const c = myTasksCard({
      unit,
      tasks: [task(1, "lead", [indicator(11)]), task(2, "support", [indicator(21, { latest: null, previous: null, status: { status: "not_reported", expected: null, progress: null } })])],
      page: 1, today: "2026-11-24",
    });
    expectWithinLarkLimits(c);
    expect(c).toMatchSnapshot();
    const s = texts(c);
    expect(s.indexOf("牵头")).toBeLessThan(s.indexOf("配合"));
    expect(s).toContain("68.5% 低于按进度应达到的 71%（基线 60%（2024年）→ 目标 ≥75%（2027年））");
    expect(s).toContain("尚未填报，目标 ≥75%（2027年）");
    expect(s).toContain("open_report_form");
  });

  it("pages a long list with prev/next buttons that carry the page, and stays under the limits", () => {
    const tasks = Array.from({ length: 40 }, (_, k) => task(k + 1, k < 25 ? "lead" : "support", [indicator(100 + k * 3), indicator(101 + k * 3), indicator(102 + k * 3)]));
    const pages = myTasksPageCount({ unit, tasks, today: "2026-11-24" });
    expect(pages).toBeGreaterThan(2);
    for (const page of [1, 2, pages]) {
      const c = myTasksCard({ unit, tasks, page, today: "2026-11-24" });
      expectWithinLarkLimits(c);
      const s = texts(c);
      if (page < pages) expect(s).toContain(`"page":${page + 1}`);
      if (page > 1) expect(s).toContain(`"page":${page - 1}`);
    }
  });
});

describe("report form card", () => {
  it("has a form container with indicator select, value, period defaulting to the current period, note and a versioned submit", () => {
    const c = reportFormCard({ unit, indicators: [indicator(11), indicator(12, { unitOfMeasure: "个", target: 12 })], selectedId: 11, issuedAt: "2026-11-24T01:00:00.000Z", nonce: "n0nce" });
    expectWithinLarkLimits(c);
    expect(c).toMatchSnapshot();
    const s = texts(c);
    expect(s).toContain('"tag":"form"');
    expect(s).toContain('"tag":"select_static"');
    expect(s).toContain("2026Q4");
    expect(s).toContain("submit_report");
    expect(s).toContain("2026-11-24T01:00:00.000Z");
  });
});

describe("请确认数值 card", () => {
  it("says why the value looks wrong, stores nothing yet, and re-submits the same values on 确认提交", () => {
    const c = confirmValueCard({
      unit, indicator: indicator(12, { unitOfMeasure: "个", target: 5, latest: null, previous: null }), value: 500, period: "2026Q4",
      reason: "填报的 500个 是目标 5个 的 100 倍",
      resubmit: { issued_at: "2026-11-24T01:00:00.000Z", nonce: "n0nce", indicator: "12", value: "500", period: "2026Q4", note: "" },
    });
    expectWithinLarkLimits(c);
    expect(c).toMatchSnapshot();
    expect(texts(c)).toContain('"action":"confirm_report","unit_id":7');
    expect(texts(c)).toContain("尚未保存");
  });
});

describe("receipt, progress, bind and error cards", () => {
  it("receipt shows the stored value and period; the lead unit's notice names the supporting unit", () => {
    const r = reportReceiptCard({
      unit, indicator: indicator(11), value: 72.5, period: "2026Q4", note: "含新签约", reporterOpenId: "ou_a", reportedAt: "2026-11-24T01:02:03.000Z", duplicate: false,
      enteredStatus: { status: "on_track", expected: 71, progress: 0.83 },
    });
    expectWithinLarkLimits(r);
    expect(r).toMatchSnapshot();
    // The status is the entered value's (on track), not the indicator's older latest (behind).
    expect(texts(r)).toContain("进度正常");
    expect(texts(r)).toContain("72.5% 达到按进度应达到的 71%（基线 60%（2024年）→ 目标 ≥75%（2027年））");
    const n = supportReportedCard({ leadUnit, reporterUnit: unit, indicator: indicator(11), value: 72.5, period: "2026Q4" });
    expect(n).toMatchSnapshot();
    expect(texts(n)).toContain("区卫健委");
  });

  it("progress card: a row per unit with counts by status and completeness, and the indicators behind", () => {
    const c = progressCard({
      title: "督办进度", scopeNote: "督办室视角：全部单位",
      rows: [
        { unitName: "区卫健委", jurisdiction: "重庆市渝中区", counts: { achieved: 1, on_track: 2, behind: 1, not_reported: 3, overdue: 0 }, indicators: 7, completeness: 4 / 7 },
        { unitName: "区医保局", jurisdiction: "重庆市渝中区", counts: { achieved: 0, on_track: 0, behind: 0, not_reported: 2, overdue: 1 }, indicators: 3, completeness: 0 },
      ],
      behind: [{ name: "家庭医生签约服务重点人群覆盖率", unitName: "区卫健委", text: "68.5% / 目标 ≥75%" }],
    });
    expectWithinLarkLimits(c);
    expect(c).toMatchSnapshot();
    expect(texts(c)).toContain("57%");
  });

  it("bind request card has approve and reject buttons carrying the request id; decisions and errors read as Chinese", () => {
    const c = bindRequestCard({ requestId: 5, openId: "ou_new", unit, requestedAt: "2026-11-24T01:00:00.000Z" });
    expect(c).toMatchSnapshot();
    expect(texts(c)).toContain('"action":"approve_bind","request_id":5');
    expect(texts(c)).toContain('"action":"reject_bind","request_id":5');
    expectWithinLarkLimits(c);
    expect(bindDecisionCard({ approved: true, unit, byOpenId: "ou_admin" })).toMatchSnapshot();
    expect(errorCard("请先发送 /绑定 单位名称")).toMatchSnapshot();
  });
});
