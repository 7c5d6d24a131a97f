import type { ParsedPlan } from "./types.js";

/** The dry-run JSON: the gold SCHEMA shape plus each task's full text, lead/support, deadline, and warnings. */
export function toDryRunJson(plan: ParsedPlan, doc: string) {
  return {
    doc,
    title: plan.title,
    issuer: plan.issuer,
    issued: plan.issued,
    jurisdiction: plan.jurisdiction,
    tasks: plan.tasks.map((t) => ({
      code: t.code,
      section: t.section,
      title: t.title,
      head: t.head,
      text: t.text,
      units: t.units,
      lead: t.lead,
      support: t.support,
      deadline: t.deadline,
      indicators: t.indicators.map((i) => ({
        name: i.name,
        target: i.target,
        unit: i.unit,
        cmp: i.cmp,
        year: i.year,
        ...(i.baseline !== null ? { baseline: i.baseline, baseline_year: i.baseline_year } : {}),
        quote: i.quote,
      })),
    })),
    warnings: plan.warnings,
  };
}
