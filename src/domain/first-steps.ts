import type { Kysely } from "kysely";
import { esc } from "../../cards/elements.js";
import type { Actor } from "./actors.js";
import type { Database } from "../store/schema.js";
import { findUnits, typedName } from "../store/units.js";

/** The spelling the examples use when no unit has been imported yet (it is the demo's). */
const FALLBACK_EXAMPLE = "渝中区卫健委";

/**
 * A unit name for examples ("/绑定 贵阳市卫生健康局") taken from this tenant's own units and checked to name exactly
 * one of them, so following an example never ends in 没有找到 or 请选择 in a tenant whose plans are not the demo's.
 */
export async function exampleUnitName(db: Kysely<Database>): Promise<string> {
  const units = await db.selectFrom("units").selectAll().where("kind", "=", "unit").orderBy("id").limit(10).execute();
  for (const u of units) {
    const typed = typedName(u);
    const found = await findUnits(db, typed);
    if (found.length === 1 && found[0]!.id === u.id) return typed;
  }
  return units[0] ? typedName(units[0]) : FALLBACK_EXAMPLE;
}

/** What a user the bot cannot place in a unit reads, with an example that works in this tenant. */
export async function unboundText(db: Kysely<Database>, purpose = "查看和填报本单位任务"): Promise<string> {
  const example = await exampleUnitName(db);
  return `还不知道您属于哪个单位。请发送 **/绑定 单位名称**（地区 + 单位名称，例如 /绑定 ${example}），管理员确认后即可${purpose}。`;
}

/**
 * unboundText, and when the user is in Lark departments, why those did not place them: a department binds only once
 * an admin has mapped it (/绑定部门), never because its name looks like a unit's (another government's 市公安局).
 */
export async function unboundTextFor(db: Kysely<Database>, actor: Pick<Actor, "departments">, purpose?: string): Promise<string> {
  const text = await unboundText(db, purpose);
  const named = (actor.departments ?? []).map((d) => d.name).filter(Boolean).slice(0, 3);
  if (named.length === 0) return text;
  return `${text}\n您所在的飞书部门（${named.map((n) => `“${esc(n)}”`).join("、")}）尚未由管理员对应到单位；机器人不会按部门名称推测单位，以免绑定到其他地区的同名单位。整个部门都属于同一单位时，可请管理员发送 /绑定部门。`;
}

/** Examples are written with the demo's unit; in another tenant they show one of its own units. */
export const withExampleUnit = (text: string, example: string) => text.replaceAll(FALLBACK_EXAMPLE, example);
