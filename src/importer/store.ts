import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { Database } from "../store/schema.js";
import { aliasKeys, isGroupUnit } from "../store/unit-names.js";
import { reportingPeriod } from "./indicators.js";
import type { DueYearSource, ParsedIndicator, ParsedPlan, ParsedTask } from "./types.js";

export interface ImportResult {
  planId: number;
  created: boolean;
  unchanged: boolean;
  tasks: number;
  units: number;
  indicators: number;
}

export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(data));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Stores a parsed plan. Same file (same hash) → nothing changes. A revised file updates tasks and indicators in
 * place by their printed code and name, retires what disappeared, and never touches reported values.
 * No interactive transaction (D1 has none): every write is an idempotent upsert, so a crash mid-import is repaired
 * by importing again.
 */
export async function importDocument(
  db: Kysely<Database>,
  plan: ParsedPlan,
  opts: { fileName: string; hash: string; clock: Clock },
): Promise<ImportResult> {
  const now = opts.clock.now().toISOString();
  const existing = await db
    .selectFrom("plans")
    .select(["id", "source_hash"])
    .where("jurisdiction", "=", plan.jurisdiction)
    .where("title", "=", plan.title)
    .executeTakeFirst();
  const count = async (planId: number) => {
    const t = await db.selectFrom("tasks").select(db.fn.countAll<number>().as("n")).where("plan_id", "=", planId).where("retired_at", "is", null).executeTakeFirstOrThrow();
    const i = await db
      .selectFrom("indicators")
      .innerJoin("tasks", "tasks.id", "indicators.task_id")
      .select(db.fn.countAll<number>().as("n"))
      .where("tasks.plan_id", "=", planId)
      .where("tasks.retired_at", "is", null)
      .where("indicators.retired_at", "is", null)
      .executeTakeFirstOrThrow();
    const u = await db
      .selectFrom("task_units")
      .innerJoin("tasks", "tasks.id", "task_units.task_id")
      .select((eb) => eb.fn.count<number>("task_units.unit_id").distinct().as("n"))
      .where("tasks.plan_id", "=", planId)
      .executeTakeFirstOrThrow();
    return { tasks: Number(t.n), indicators: Number(i.n), units: Number(u.n) };
  };
  if (existing && existing.source_hash === opts.hash) {
    return { planId: existing.id, created: false, unchanged: true, ...(await count(existing.id)) };
  }
  const planRow = await db
    .insertInto("plans")
    .values({
      jurisdiction: plan.jurisdiction,
      title: plan.title,
      issuer: plan.issuer,
      issued_on: plan.issued,
      source_file: opts.fileName,
      source_hash: opts.hash,
      imported_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["jurisdiction", "title"]).doUpdateSet({
        issuer: plan.issuer,
        issued_on: plan.issued,
        source_file: opts.fileName,
        source_hash: opts.hash,
        imported_at: now,
      }),
    )
    .returning("id")
    .executeTakeFirstOrThrow();
  const planId = planRow.id;

  const sectionIds = new Map<string, number>();
  for (const [k, title] of plan.sections.entries()) {
    const row = await db
      .insertInto("sections")
      .values({ plan_id: planId, ordinal: k + 1, code: null, title })
      .onConflict((oc) => oc.columns(["plan_id", "ordinal"]).doUpdateSet({ title }))
      .returning("id")
      .executeTakeFirstOrThrow();
    if (!sectionIds.has(title)) sectionIds.set(title, row.id);
  }

  const unitCache = new Map<string, number>();
  const unitId = async (printed: string) => {
    const keys = aliasKeys(printed);
    for (const k of keys) {
      const hit = unitCache.get(k);
      if (hit) return hit;
    }
    const found = await db
      .selectFrom("unit_aliases")
      .select("unit_id")
      .where("jurisdiction", "=", plan.jurisdiction)
      .where("alias", "in", keys)
      .executeTakeFirst();
    let id = found?.unit_id;
    if (!id) {
      const row = await db
        .insertInto("units")
        .values({ jurisdiction: plan.jurisdiction, name: printed, kind: isGroupUnit(printed) ? "group" : "unit" })
        .onConflict((oc) => oc.columns(["jurisdiction", "name"]).doUpdateSet({ name: printed }))
        .returning("id")
        .executeTakeFirstOrThrow();
      id = row.id;
    }
    await db
      .insertInto("unit_aliases")
      .values(keys.map((alias) => ({ jurisdiction: plan.jurisdiction, alias, unit_id: id! })))
      .onConflict((oc) => oc.doNothing())
      .execute();
    for (const k of keys) unitCache.set(k, id);
    return id;
  };

  const seenCodes = new Set<string>();
  const objectiveYear = Math.max(0, ...plan.tasks.flatMap((t) => t.indicators.map((i) => i.year ?? 0))) || null;
  for (const [k, t] of plan.tasks.entries()) {
    let code = t.code;
    while (seenCodes.has(code)) code = `${code}′`;
    seenCodes.add(code);
    const values = {
      section_id: t.section ? sectionIds.get(t.section) ?? null : null,
      ordinal: k + 1,
      title: t.title,
      text: t.text,
      deadline: t.deadline,
      deadline_text: t.deadline_text,
      retired_at: null,
    };
    const task = await db
      .insertInto("tasks")
      .values({ plan_id: planId, code, ...values })
      .onConflict((oc) => oc.columns(["plan_id", "code"]).doUpdateSet(values))
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.deleteFrom("task_units").where("task_id", "=", task.id).execute();
    const links: { task_id: number; unit_id: number; role: "lead" | "support"; ordinal: number; printed_name: string }[] = [];
    for (const [n, printed] of t.units.entries()) {
      const uid = await unitId(printed);
      if (links.some((l) => l.unit_id === uid)) continue;
      links.push({ task_id: task.id, unit_id: uid, role: t.lead.includes(printed) ? "lead" : "support", ordinal: n + 1, printed_name: printed });
    }
    if (links.length && !links.some((l) => l.role === "lead")) links[0]!.role = "lead";
    if (links.length) await db.insertInto("task_units").values(links).execute();

    const keys: string[] = [];
    for (const [n, i] of t.indicators.entries()) {
      let key = i.name;
      let dup = 1;
      while (keys.includes(key)) key = `${i.name}#${++dup}`;
      keys.push(key);
      const v = {
        ordinal: n + 1,
        name: i.name,
        unit_of_measure: i.unit,
        cmp: i.cmp,
        target: i.target,
        target_year: i.year,
        baseline: i.baseline,
        baseline_year: i.baseline_year,
        quote: i.quote,
        retired_at: null,
        ...dueYearOf(i, t, plan, objectiveYear),
      };
      const period = reportingPeriod(i);
      const row = await db
        .insertInto("indicators")
        .values({ task_id: task.id, key, period, ...v })
        .onConflict((oc) => oc.columns(["task_id", "key"]).doUpdateSet(v))
        .returning("id")
        .executeTakeFirstOrThrow();
      // A revision may change the frequency only while nothing is reported: values already kept under 2026Q4 would
      // otherwise belong to periods the indicator no longer has.
      await db
        .updateTable("indicators")
        .set({ period })
        .where("id", "=", row.id)
        .where("period", "!=", period)
        .where((eb) => eb.not(eb.exists(eb.selectFrom("reports").select("reports.id").whereRef("reports.indicator_id", "=", "indicators.id"))))
        .execute();
    }
    let retire = db.updateTable("indicators").set({ retired_at: now }).where("task_id", "=", task.id).where("retired_at", "is", null);
    if (keys.length) retire = retire.where("key", "not in", keys);
    await retire.execute();
  }
  let retireTasks = db.updateTable("tasks").set({ retired_at: now }).where("plan_id", "=", planId).where("retired_at", "is", null);
  if (seenCodes.size) retireTasks = retireTasks.where("code", "not in", [...seenCodes]);
  await retireTasks.execute();
  await db
    .updateTable("indicators")
    .set({ retired_at: now })
    .where("retired_at", "is", null)
    .where("task_id", "in", db.selectFrom("tasks").select("id").where("plan_id", "=", planId).where("retired_at", "is not", null))
    .execute();
  return { planId, created: !existing, unchanged: false, ...(await count(planId)) };
}

/**
 * The year an indicator is due, so none stays 未填报 forever for want of a year: the extraction's own answer when it
 * gives one, else the stated year, the measure's deadline, the year of an annual plan (…2022年重点工作任务), or the
 * plan's objective year (the latest year any of its indicators states).
 */
export function dueYearOf(
  i: ParsedIndicator,
  t: Pick<ParsedTask, "deadline">,
  plan: Pick<ParsedPlan, "title">,
  objectiveYear: number | null,
): { due_year: number | null; due_year_source: DueYearSource | null } {
  if (i.due_year && i.due_year_source) return { due_year: i.due_year, due_year_source: i.due_year_source };
  if (i.year) return { due_year: i.year, due_year_source: "text" };
  const deadline = /^(\d{4})/.exec(t.deadline ?? "");
  if (deadline) return { due_year: Number(deadline[1]), due_year_source: "deadline" };
  const annual = annualTitleYear(plan.title);
  if (annual) return { due_year: annual, due_year_source: "plan_year" };
  if (objectiveYear) return { due_year: objectiveYear, due_year_source: "objective_year" };
  return { due_year: null, due_year_source: null };
}

/**
 * The year of an annual plan's title ("2024年工作要点"): the first year followed, before any 到/至 (a range), by a word
 * naming the plan. Scanned per range segment, so a title full of years costs one pass, not one scan per year.
 */
function annualTitleYear(title: string): number | null {
  for (const seg of title.split(/[到至]/)) {
    const y = /((?:19|20)\d{2})年/.exec(seg);
    if (y && /(重点|工作|任务|计划|要点)/.test(seg.slice(y.index + y[0].length))) return Number(y[1]);
  }
  return null;
}
