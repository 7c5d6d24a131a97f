import type { Cmp, ReportPeriodKind } from "../store/schema.js";

/** Where an indicator's due year came from; anything but "text" is shown to officials as （年份推定）. */
export type DueYearSource = "text" | "deadline" | "plan_year" | "objective_year";

export interface ParsedIndicator {
  name: string;
  target: number;
  unit: string | null;
  cmp: Cmp;
  year: number | null;
  baseline: number | null;
  baseline_year: number | null;
  quote: string;
  /**
   * The year the target must be met, always set by the extraction: `year` when the text states it, else the
   * measure's deadline, the plan year of an annual plan, or the plan's objective year — `due_year_source` says
   * which, so a fallback can be flagged. (`year` keeps the gold convention: null when the text gives none.)
   */
  due_year?: number;
  due_year_source?: DueYearSource;
  /** How often it is reported, from the text (每月 → month, 每年/年度 → year, else quarter). */
  frequency?: ReportPeriodKind;
}

export interface ParsedTask {
  code: string;
  section: string | null;
  title: string | null;
  head: string;
  text: string;
  units: string[];
  lead: string[];
  support: string[];
  deadline: string | null;
  deadline_text: string | null;
  indicators: ParsedIndicator[];
}

export interface ParsedPlan {
  title: string;
  issuer: string | null;
  issued: string | null;
  jurisdiction: string;
  sections: string[];
  tasks: ParsedTask[];
  warnings: string[];
}
