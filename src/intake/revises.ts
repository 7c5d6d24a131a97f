/**
 * @module Which stored plan a file revises when the admin says so (the preview card's 按所选方案比对, or
 * `npm run import -- --revises N`) instead of the default match by jurisdiction and title. The revised plan keeps its
 * identity — title and jurisdiction, hence its number, its units' aliases and its place in /导出 — and everything else
 * comes from the file; so the parse is re-labelled with the stored plan's title and jurisdiction, after which the
 * preview (src/intake/preview.ts) and importDocument match it exactly as they match a same-title file.
 */
import type { Kysely } from "kysely";
import type { ParsedPlan } from "../importer/types.js";
import type { Database } from "../store/schema.js";

export interface PlanChoice {
  id: number;
  title: string;
  jurisdiction: string;
  imported_at: string;
}

/** Longest plan-number text read from a card input or the CLI: a plan id has at most nine digits. */
const MAX_ID_TEXT = 20;

/** A typed plan number ("7", "方案 7", "编号7") → the number, or a Chinese reason it is not one. */
export function parsePlanId(raw: string): { ok: true; id: number } | { ok: false; message: string } {
  const text = raw.slice(0, MAX_ID_TEXT + 1).trim();
  const m = /^(?:方案|编号|方案编号)?\s*(\d{1,9})$/.exec(text);
  if (!m || text.length > MAX_ID_TEXT) return { ok: false, message: `方案编号应为数字，例如 6（现为“${text.slice(0, MAX_ID_TEXT)}”）` };
  return { ok: true, id: Number(m[1]) };
}

/** The stored plan a revision is to update, or a Chinese refusal naming where to find the right number. */
export async function findRevisedPlan(db: Kysely<Database>, id: number): Promise<{ ok: true; plan: PlanChoice } | { ok: false; message: string }> {
  const plan = await db.selectFrom("plans").select(["id", "title", "jurisdiction", "imported_at"]).where("id", "=", id).executeTakeFirst();
  return plan ? { ok: true, plan } : { ok: false, message: `没有编号为 ${id} 的方案，未做任何修改。各方案的编号见 /导出 的台账“方案”表，或导入完成卡片上的“方案编号”。` };
}

/** The parse as a revision of `target`: the stored title and jurisdiction, everything else from the file. */
export function asRevisionOf(plan: ParsedPlan, target: Pick<PlanChoice, "title" | "jurisdiction">): ParsedPlan {
  return { ...plan, title: target.title, jurisdiction: target.jurisdiction };
}

/**
 * The stored plans a preview offers to compare with, at most `limit` of them: those of the file's jurisdiction first,
 * then the rest, most recently imported first; `total` counts every candidate, so the card can say how many are not
 * listed (those are reached by typing their number). Admins and supervisors manage every plan (as /导出 gives
 * them every plan), so every stored plan is a candidate except `exclude`, the one the preview already compares with.
 */
export async function revisionChoices(
  db: Kysely<Database>,
  o: { jurisdiction: string; exclude: number | null; limit: number },
): Promise<{ plans: PlanChoice[]; total: number }> {
  const base = () => {
    let q = db.selectFrom("plans");
    if (o.exclude !== null) q = q.where("id", "!=", o.exclude);
    return q;
  };
  const total = Number((await base().select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
  const cols = ["id", "title", "jurisdiction", "imported_at"] as const;
  const local = await base().select(cols).where("jurisdiction", "=", o.jurisdiction).orderBy("imported_at", "desc").orderBy("id", "desc").limit(o.limit).execute();
  const others = local.length < o.limit
    ? await base().select(cols).where("jurisdiction", "!=", o.jurisdiction).orderBy("imported_at", "desc").orderBy("id", "desc").limit(o.limit - local.length).execute()
    : [];
  return { plans: [...local, ...others], total };
}
