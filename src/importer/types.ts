import type { Cmp } from "../store/schema.js";

export interface ParsedIndicator {
  name: string;
  target: number;
  unit: string | null;
  cmp: Cmp;
  year: number | null;
  baseline: number | null;
  baseline_year: number | null;
  quote: string;
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
