import type { Kysely } from "kysely";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { Database, Unit } from "./schema.js";
import { findUnits } from "./units.js";

/**
 * The roster an operator keeps next to the plans: named accounts (admins, supervisors, explicit member → unit
 * mappings), chats, and the members of group units such as 各街道 / 各区〔市、县〕人民政府. A plan names the group;
 * only the roster says which offices it stands for, so nobody is placed in a group by a guess.
 */
const name = z.string().trim().min(1).max(100);
export const rosterSchema = z
  .object({
    _comment: z.string().optional(),
    members: z
      .array(z.object({ open_id: z.string().regex(/^ou_[A-Za-z0-9_]{1,64}$/), name: name.optional(), role: z.enum(["member", "admin", "supervisor"]), unit: name.optional(), jurisdiction: name.optional() }).strict())
      .max(10_000)
      .default([]),
    chats: z
      .array(z.object({ chat_id: z.string().regex(/^oc_[A-Za-z0-9_]{1,64}$/), kind: z.enum(["unit", "supervisor"]), name: name.optional() }).strict())
      .max(10_000)
      .default([]),
    groups: z
      .array(z.object({ jurisdiction: name, group: name, members: z.array(name).min(1).max(500) }).strict())
      .max(1_000)
      .default([]),
  })
  .strict();
export type Roster = z.infer<typeof rosterSchema>;

export interface RosterResult {
  members: number;
  chats: number;
  /** Group memberships added (existing ones are kept and not counted). */
  groupMembers: number;
  /** Member units the roster named that no plan had printed yet: created in the group's jurisdiction. */
  unitsCreated: string[];
  /** Groups (or member units) the store does not know: nothing was done for them. */
  skipped: string[];
}

/** Reads a roster file's text; a mistake names the path in the file that is wrong. */
export function parseRoster(text: string): Roster {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RosterError(`名册不是合法的 JSON：${(err as Error).message}`);
  }
  const r = rosterSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new RosterError(`名册第 ${issue.path.join(".") || "（根）"} 项有误：${issue.message}`);
  }
  return r.data;
}

export class RosterError extends Error {
  override name = "RosterError";
}

async function groupUnit(db: Kysely<Database>, jurisdiction: string, group: string): Promise<Unit | null> {
  const found = (await findUnits(db, group, { jurisdiction })).filter((u) => u.kind === "group");
  return found.length === 1 ? found[0]! : null;
}

/** Applies a roster; idempotent (applying it twice changes nothing the second time). */
export async function applyRoster(db: Kysely<Database>, roster: Roster, clock: Clock): Promise<RosterResult> {
  const now = clock.now().toISOString();
  const result: RosterResult = { members: 0, chats: 0, groupMembers: 0, unitsCreated: [], skipped: [] };
  for (const m of roster.members) {
    let unitId: number | null = null;
    if (m.unit) {
      const units = (await findUnits(db, m.unit, m.jurisdiction ? { jurisdiction: m.jurisdiction } : {})).filter((u) => u.kind === "unit");
      if (units.length !== 1) {
        result.skipped.push(`${m.open_id} → ${m.unit}（${units.length === 0 ? "未找到该单位" : "单位名不唯一，请写 jurisdiction"}）`);
        continue;
      }
      unitId = units[0]!.id;
    }
    // unit_id may be NULL and NULLs never collide in a UNIQUE index, so look before inserting.
    let known = db.selectFrom("members").select("id").where("open_id", "=", m.open_id).where("role", "=", m.role);
    known = unitId === null ? known.where("unit_id", "is", null) : known.where("unit_id", "=", unitId);
    if (!(await known.executeTakeFirst())) {
      await db.insertInto("members").values({ open_id: m.open_id, unit_id: unitId, role: m.role, name: m.name ?? null, created_at: now }).execute();
      result.members++;
    }
  }
  for (const c of roster.chats) {
    const r = await db
      .insertInto("chats")
      .values({ chat_id: c.chat_id, kind: c.kind, unit_id: null, name: c.name ?? null, bound_by: "roster", bound_at: now })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    result.chats += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  for (const g of roster.groups) {
    const group = await groupUnit(db, g.jurisdiction, g.group);
    if (!group) {
      result.skipped.push(`${g.jurisdiction} ${g.group}（没有导入过以它为责任单位的方案）`);
      continue;
    }
    for (const memberName of g.members) {
      const found = (await findUnits(db, memberName, { jurisdiction: g.jurisdiction })).filter((u) => u.kind === "unit");
      if (found.length > 1) {
        result.skipped.push(`${g.group} → ${memberName}（单位名不唯一）`);
        continue;
      }
      let member = found[0];
      if (!member) {
        member = await db.insertInto("units").values({ jurisdiction: g.jurisdiction, name: memberName, kind: "unit" }).returningAll().executeTakeFirstOrThrow();
        result.unitsCreated.push(`${memberName}（${g.jurisdiction}）`);
      }
      const r = await db.insertInto("unit_group_members").values({ group_id: group.id, unit_id: member.id }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      result.groupMembers += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
  }
  return result;
}
