import { describe, expect, it } from "vitest";
import { currentPeriod, isoWeek, parsePeriod, periodLabel, previousPeriod } from "../src/domain/period.js";
import { indicatorStatus } from "../src/domain/status.js";

describe("reporting periods", () => {
  it("uses China time: 2026-12-31 20:00 UTC is already January in Shanghai", () => {
    const now = new Date("2026-12-31T20:00:00Z");
    expect(currentPeriod("month", now)).toBe("2027-01");
    expect(currentPeriod("quarter", now)).toBe("2027Q1");
    expect(currentPeriod("year", now)).toBe("2027");
  });

  it("accepts the spellings officials type and normalises them", () => {
    expect(parsePeriod("2026年11月", "month")).toEqual({ ok: true, period: "2026-11" });
    expect(parsePeriod("2026/3", "month")).toEqual({ ok: true, period: "2026-03" });
    expect(parsePeriod("2026年第四季度", "quarter")).toEqual({ ok: true, period: "2026Q4" });
    expect(parsePeriod("2026-q2", "quarter")).toEqual({ ok: true, period: "2026Q2" });
    expect(parsePeriod("2026年", "year")).toEqual({ ok: true, period: "2026" });
  });

  it("explains in Chinese which spelling is expected when the period does not fit the indicator", () => {
    const r = parsePeriod("2026Q4", "month");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain("2026-11");
    const bad = parsePeriod("2026-13", "month");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain("1–12");
  });

  it("steps back across year ends and labels periods in Chinese", () => {
    expect(previousPeriod("2026-01")).toBe("2025-12");
    expect(previousPeriod("2026Q1")).toBe("2025Q4");
    expect(periodLabel("2026Q4")).toBe("2026年第4季度");
    expect(periodLabel("2026-11")).toBe("2026年11月");
  });

  it("keys the weekly digest by ISO week in China time", () => {
    expect(isoWeek(new Date("2026-11-30T01:00:00Z"))).toBe("2026-W49");
    expect(isoWeek(new Date("2026-11-29T17:00:00Z"))).toBe("2026-W49"); // Monday 01:00 in Shanghai
    expect(isoWeek(new Date("2027-01-01T00:00:00Z"))).toBe("2026-W53");
  });
});

describe("indicator status", () => {
  const now = new Date("2026-07-01T00:00:00Z"); // half-way through 2026
  const coverage = { cmp: ">=" as const, target: 81, target_year: 2027, baseline: 71, baseline_year: 2024 };

  it("is behind when a rising indicator is below the straight line from baseline to target", () => {
    // 2025-01-01 → 2027-12-31: by mid-2026 about half the way, i.e. ~76.
    const r = indicatorStatus(coverage, 73, now);
    expect(r.status).toBe("behind");
    expect(r.expected).toBeGreaterThan(75);
    expect(r.expected).toBeLessThan(77);
    expect(indicatorStatus(coverage, 77, now).status).toBe("on_track");
  });

  it("reads a ceiling target (控制在…以内) the other way round", () => {
    const ceiling = { cmp: "<=" as const, target: 12, target_year: 2027, baseline: 20, baseline_year: 2024 };
    expect(indicatorStatus(ceiling, 18, now).status).toBe("behind");
    expect(indicatorStatus(ceiling, 15, now).status).toBe("on_track");
    expect(indicatorStatus(ceiling, 11, now).status).toBe("achieved");
  });

  it("is overdue once the target year has passed without meeting it, and not reported without a value", () => {
    const late = { cmp: ">=" as const, target: 5, target_year: 2025, baseline: null, baseline_year: null };
    expect(indicatorStatus(late, 4, now).status).toBe("overdue");
    expect(indicatorStatus(late, null, now).status).toBe("overdue");
    expect(indicatorStatus(coverage, null, now).status).toBe("not_reported");
  });

  it("without a baseline, only a target due this year can be behind", () => {
    const noBase = { cmp: ">=" as const, target: 90, target_year: 2026, baseline: null, baseline_year: null };
    expect(indicatorStatus(noBase, 80, now).status).toBe("behind");
    expect(indicatorStatus({ ...noBase, target_year: 2028 }, 80, now).status).toBe("on_track");
  });
});
