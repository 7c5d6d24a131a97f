import type { Kysely } from "kysely";
import type { Database, Unit } from "../store/schema.js";
import { aliasKeys } from "../store/unit-names.js";

/**
 * What an official may type for a unit: the printed name (区卫健委), an alias (区卫生健康委), or the name with its
 * place in front (渝中区卫健委, 渝中区区卫健委) — the place then picks the jurisdiction.
 */
function readings(typed: string): { name: string; place: string | null }[] {
  const n = typed.replace(/\s+/g, "").replace(/[（(]([^)）]+)[)）]$/, "");
  const out: { name: string; place: string | null }[] = [{ name: n, place: null }];
  for (let k = 2; k < n.length - 1; k++) {
    const ch = n[k - 1]!;
    if (!"省市区县州旗".includes(ch)) continue;
    const place = n.slice(0, k);
    const rest = n.slice(k);
    out.push({ name: rest, place }, { name: ch + rest, place });
  }
  return out;
}

/** Units whose canonical name or alias matches, optionally in one jurisdiction. Several = ambiguous: ask which. */
export async function lookupUnits(db: Kysely<Database>, typed: string, jurisdiction?: string): Promise<Unit[]> {
  const rs = readings(typed);
  const names = [...new Set(rs.flatMap((r) => aliasKeys(r.name)))].filter((x) => x.length >= 2);
  if (names.length === 0) return [];
  let q = db
    .selectFrom("units")
    .selectAll("units")
    .where((eb) =>
      eb.or([
        eb("units.name", "in", names),
        eb("units.id", "in", eb.selectFrom("unit_aliases").select("unit_aliases.unit_id").where("unit_aliases.alias", "in", names)),
      ]),
    );
  if (jurisdiction) q = q.where("units.jurisdiction", "=", jurisdiction);
  const units = await q.orderBy("units.id").execute();
  const keysOf = (u: Unit) => new Set(aliasKeys(u.name));
  const exact = units.filter((u) => aliasKeys(typed.replace(/\s+/g, "")).some((k) => keysOf(u).has(k)));
  if (exact.length > 0 && rs.length === 1) return exact;
  // A typed place narrows to the jurisdiction that contains it.
  const placed = units.filter((u) => rs.some((r) => r.place && u.jurisdiction.endsWith(r.place) && aliasKeys(r.name).some((k) => keysOf(u).has(k))));
  if (placed.length > 0) return placed;
  return exact.length > 0 ? exact : units;
}

/** "区卫健委（重庆市渝中区）": a unit name is only unique together with its issuing government. */
export function unitLabel(unit: Pick<Unit, "name" | "jurisdiction">): string {
  return `${unit.name}（${unit.jurisdiction}）`;
}
