import type { Kysely } from "kysely";
import type { Database, Unit } from "../store/schema.js";

/** Strips a leading place name an official may type (渝中区卫健委 → 区卫健委) so it matches the printed name. */
function variants(name: string): string[] {
  const n = name.replace(/\s+/g, "").replace(/[（(].*?[)）]$/, "");
  const out = new Set([n]);
  const m = /^(?:[\u4e00-\u9fa5]{1,6}?(?:省|市|区|县|州|旗))((?:区|市|县)[\u4e00-\u9fa5].*)$/.exec(n);
  if (m?.[1]) out.add(m[1]);
  return [...out];
}

/** Units whose canonical name or alias equals `name` (or `name` without a place prefix), optionally in one jurisdiction. */
export async function lookupUnits(db: Kysely<Database>, name: string, jurisdiction?: string): Promise<Unit[]> {
  const names = variants(name);
  if (names.length === 0 || !names[0]) return [];
  let q = db
    .selectFrom("units")
    .selectAll("units")
    .where((eb) =>
      eb.or([
        eb("units.name", "in", names),
        eb(
          "units.id",
          "in",
          eb.selectFrom("unit_aliases").select("unit_aliases.unit_id").where("unit_aliases.alias", "in", names),
        ),
      ]),
    );
  if (jurisdiction) q = q.where("units.jurisdiction", "=", jurisdiction);
  const units = await q.orderBy("units.id").execute();
  // When a place prefix matched a jurisdiction (渝中区卫健委), prefer that jurisdiction's office.
  if (units.length > 1) {
    const narrowed = units.filter((u) => name.includes(u.jurisdiction.replace(/^.*?[省市](?=.+[区县市])/, "")));
    if (narrowed.length >= 1 && narrowed.length < units.length) return narrowed;
  }
  return units;
}

/** "区卫健委（重庆市渝中区）": a unit name is only unique together with its issuing government. */
export function unitLabel(unit: Pick<Unit, "name" | "jurisdiction">): string {
  return `${unit.name}（${unit.jurisdiction}）`;
}
