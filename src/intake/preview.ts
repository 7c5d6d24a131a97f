/**
 * @module What confirming an import would do, computed from the parse and the store without writing anything:
 * which units are matched to existing ones (and on which alias) and which are new, and — when the plan is already
 * stored (same jurisdiction and title) — the measures and indicators added, changed (target, reporting frequency)
 * and retired, and how many reported values sit on indicators that would retire (they are kept, the indicator
 * stops being asked for).
 * The matching mirrors importDocument (src/importer/store.ts): measures by printed code, indicators by name.
 */
import type { Kysely } from "kysely";
import { chunked } from "../domain/tasks.js";
import { reportingPeriod } from "../importer/indicators.js";
import type { ParsedPlan } from "../importer/types.js";
import type { Cmp, Database, ReportPeriodKind } from "../store/schema.js";
import { aliasKeys } from "../store/unit-names.js";

export interface UnitMatch {
  printed: string;
  /** The stored unit it resolves to, or null when confirming creates it. */
  matched: { name: string; alias: string } | null;
}

export interface IndicatorChange {
  code: string;
  name: string;
  /** The target as text (comparison, value, unit, year); equal when only the frequency changes. */
  before: string;
  after: string;
  /**
   * Set when the file gives another reporting frequency. `reports` > 0: values are already reported, so the import
   * keeps `before` (importDocument changes a frequency only while nothing is reported) and the preview says so.
   */
  frequency?: { before: ReportPeriodKind; after: ReportPeriodKind; reports: number };
}

/** Whether confirming changes the stored indicator at all (a refused frequency change alone does not). */
export const changesSomething = (c: IndicatorChange) => c.before !== c.after || (c.frequency !== undefined && c.frequency.reports === 0);

export interface Revision {
  planId: number;
  importedAt: string;
  sameFile: boolean;
  measuresAdded: string[];
  measuresChanged: string[];
  measuresRetired: string[];
  indicatorsAdded: { code: string; name: string }[];
  indicatorsChanged: IndicatorChange[];
  indicatorsRetired: { code: string; name: string; reports: number }[];
  /** Reported values on indicators that would retire: kept, and visible in the ledger's 已停用指标. */
  reportsOnRetired: number;
}

export interface ImportPreview {
  measures: number;
  indicators: number;
  units: UnitMatch[];
  revision: Revision | null;
}

const CMP: Record<Cmp, string> = { ">=": "≥", "<=": "≤", "=": "=" };
const targetText = (i: { cmp: Cmp; target: number; unit: string | null; year: number | null }) =>
  `${CMP[i.cmp]}${i.target}${i.unit ?? ""}${i.year ? `（${i.year}年）` : ""}`;

/** The codes importDocument gives the parsed measures (a repeated code gets a ′). */
export function storedCodes(plan: ParsedPlan): string[] {
  const seen = new Set<string>();
  return plan.tasks.map((t) => {
    let code = t.code;
    while (seen.has(code)) code = `${code}′`;
    seen.add(code);
    return code;
  });
}

/** Indicator keys as importDocument stores them: the name, #2, #3… for repeats within a measure. */
function indicatorKeys(names: string[]): string[] {
  const keys: string[] = [];
  for (const name of names) {
    let key = name;
    let dup = 1;
    while (keys.includes(key)) key = `${name}#${++dup}`;
    keys.push(key);
  }
  return keys;
}

export async function previewImport(db: Kysely<Database>, plan: ParsedPlan, fileHash: string): Promise<ImportPreview> {
  const printed = [...new Set(plan.tasks.flatMap((t) => t.units))];
  const units: UnitMatch[] = [];
  for (const p of printed) {
    const keys = aliasKeys(p);
    const hit = await db
      .selectFrom("unit_aliases")
      .innerJoin("units", "units.id", "unit_aliases.unit_id")
      .select(["units.name", "unit_aliases.alias"])
      .where("unit_aliases.jurisdiction", "=", plan.jurisdiction)
      .where("unit_aliases.alias", "in", keys)
      .executeTakeFirst();
    units.push({ printed: p, matched: hit ? { name: hit.name, alias: hit.alias } : null });
  }
  const base = { measures: plan.tasks.length, indicators: plan.tasks.reduce((a, t) => a + t.indicators.length, 0), units };
  const existing = await db
    .selectFrom("plans")
    .select(["id", "source_hash", "imported_at"])
    .where("jurisdiction", "=", plan.jurisdiction)
    .where("title", "=", plan.title)
    .executeTakeFirst();
  if (!existing) return { ...base, revision: null };

  const tasks = await db.selectFrom("tasks").select(["id", "code", "text", "deadline"]).where("plan_id", "=", existing.id).where("retired_at", "is", null).execute();
  const taskByCode = new Map(tasks.map((t) => [t.code, t]));
  const inds = await chunked(tasks.map((t) => t.id), (ids) =>
    db.selectFrom("indicators").selectAll().where("task_id", "in", ids).where("retired_at", "is", null).execute(),
  );
  const codes = storedCodes(plan);
  const rev: Revision = {
    planId: existing.id,
    importedAt: existing.imported_at,
    sameFile: existing.source_hash === fileHash,
    measuresAdded: [],
    measuresChanged: [],
    measuresRetired: tasks.filter((t) => !codes.includes(t.code)).map((t) => t.code),
    indicatorsAdded: [],
    indicatorsChanged: [],
    indicatorsRetired: [],
    reportsOnRetired: 0,
  };
  const retiredIds: { id: number; code: string; name: string }[] = [];
  const frequencyChanged: { id: number; change: IndicatorChange }[] = [];
  plan.tasks.forEach((t, k) => {
    const code = codes[k]!;
    const stored = taskByCode.get(code);
    if (!stored) {
      rev.measuresAdded.push(code);
      for (const i of t.indicators) rev.indicatorsAdded.push({ code, name: i.name });
      return;
    }
    if (stored.text !== t.text || stored.deadline !== t.deadline) rev.measuresChanged.push(code);
    const keys = indicatorKeys(t.indicators.map((i) => i.name));
    const storedInds = inds.filter((i) => i.task_id === stored.id);
    t.indicators.forEach((i, n) => {
      const s = storedInds.find((x) => x.key === keys[n]);
      if (!s) return rev.indicatorsAdded.push({ code, name: i.name });
      const before = targetText({ cmp: s.cmp, target: s.target, unit: s.unit_of_measure, year: s.target_year });
      const after = targetText({ cmp: i.cmp, target: i.target, unit: i.unit, year: i.year });
      // The period importDocument would store.
      const period = reportingPeriod(i);
      if (before === after && period === s.period) return;
      const change: IndicatorChange = { code, name: i.name, before, after };
      if (period !== s.period) {
        change.frequency = { before: s.period, after: period, reports: 0 };
        frequencyChanged.push({ id: s.id, change });
      }
      rev.indicatorsChanged.push(change);
    });
    for (const s of storedInds) if (!keys.includes(s.key)) retiredIds.push({ id: s.id, code, name: s.name });
  });
  for (const t of tasks) {
    if (codes.includes(t.code)) continue;
    for (const s of inds.filter((i) => i.task_id === t.id)) retiredIds.push({ id: s.id, code: t.code, name: s.name });
  }
  const counts = new Map<number, number>();
  for (const r of await chunked([...retiredIds, ...frequencyChanged].map((r) => r.id), (ids) =>
    db.selectFrom("reports").select(["indicator_id", db.fn.countAll<number>().as("n")]).where("indicator_id", "in", ids).groupBy("indicator_id").execute(),
  )) counts.set(r.indicator_id, Number(r.n));
  for (const f of frequencyChanged) f.change.frequency!.reports = counts.get(f.id) ?? 0;
  rev.indicatorsRetired = retiredIds.map((r) => ({ code: r.code, name: r.name, reports: counts.get(r.id) ?? 0 }));
  rev.reportsOnRetired = rev.indicatorsRetired.reduce((a, r) => a + r.reports, 0);
  return { ...base, revision: rev };
}
