/**
 * Unit look-ups shared by the importer, the commands and the digest. Names are only unique inside one issuing
 * government (jurisdiction), so every look-up can be narrowed to one.
 */
import type { Kysely } from "kysely";
import { executeReusable } from "./compiled-once.js";
import type { Database, Unit } from "./schema.js";
import { aliasKeys, demoOpenIdForUnit, isGroupUnit } from "./unit-names.js";

export { aliasKeys, demoOpenIdForUnit, isGroupUnit };

/** Longer input is no unit name; the cap also bounds the look-up below (readings × alias keys). */
export const MAX_UNIT_NAME = 40;

/**
 * The ways an official may type a unit: as printed (区卫健委), as an alias (区卫生健康委员会), or with its place in
 * front (渝中区卫健委 → 区卫健委 / 卫健委 under a jurisdiction ending in 渝中区).
 */
function readings(n: string): { name: string; place: string | null }[] {
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

/**
 * Units whose canonical name or alias matches. Several results mean the name is ambiguous: ask which one. A typed
 * place (渝中区卫健委, or the label form 区卫健委（重庆市渝中区）) only ever narrows: a place that matches no jurisdiction
 * is "not found", never another government's unit of the same name.
 */
export async function findUnits(db: Kysely<Database>, nameOrAlias: string, opts: { jurisdiction?: string } = {}): Promise<Unit[]> {
  let typed = nameOrAlias.replace(/\s+/g, "");
  if (typed.length === 0 || typed.length > MAX_UNIT_NAME) return [];
  let labelled: string | null = null;
  const label = /^([^（(]+)[（(]([^）)]+)[)）]$/.exec(typed);
  if (label) {
    typed = label[1]!;
    labelled = label[2]!;
  }
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
  if (opts.jurisdiction) q = q.where("units.jurisdiction", "=", opts.jurisdiction);
  let units = await q.orderBy("units.id").execute();
  if (labelled) units = units.filter((u) => u.jurisdiction === labelled || u.jurisdiction.endsWith(labelled!));
  if (units.length === 0) return [];
  const aliasRows = await db.selectFrom("unit_aliases").select(["unit_id", "alias"]).where("unit_id", "in", units.map((u) => u.id)).execute();
  const keysOf = new Map(units.map((u) => [u.id, new Set([...aliasKeys(u.name), ...aliasRows.filter((a) => a.unit_id === u.id).flatMap((a) => aliasKeys(a.alias))])]));
  const matches = (u: Unit, name: string) => aliasKeys(name).some((k) => keysOf.get(u.id)!.has(k));
  const exact = units.filter((u) => matches(u, rs[0]!.name));
  if (exact.length > 0) return exact;
  return units.filter((u) => rs.some((r) => r.place !== null && u.jurisdiction.endsWith(r.place) && matches(u, r.name)));
}

/** "区卫健委（重庆市渝中区）". */
export function unitLabel(unit: Pick<Unit, "name" | "jurisdiction">): string {
  return `${unit.name}（${unit.jurisdiction}）`;
}

/** The units a group unit (各街道, 各区〔市、县〕人民政府) stands for. */
export async function groupMembers(db: Kysely<Database>, groupUnitId: number): Promise<Unit[]> {
  return db
    .selectFrom("unit_group_members")
    .innerJoin("units", "units.id", "unit_group_members.unit_id")
    .selectAll("units")
    .where("unit_group_members.group_id", "=", groupUnitId)
    .orderBy("units.id")
    .execute();
}

/** The group units a unit belongs to, so it also sees tasks assigned to 各街道 and the like. */
export async function groupsContaining(db: Kysely<Database>, unitId: number): Promise<Unit[]> {
  // Compiled once (src/store/compiled-once.ts): asked by every /我的任务 and every digest line.
  return executeReusable(db, {
    key: "units/groups-containing",
    build: ([id]: readonly [number]) =>
      db
        .selectFrom("unit_group_members")
        .innerJoin("units", "units.id", "unit_group_members.group_id")
        .selectAll("units")
        .where("unit_group_members.unit_id", "=", id)
        .orderBy("units.id"),
  }, [unitId] as const);
}

/**
 * How an official would type a unit so that it names exactly that one: its place, then its name without the
 * place's level repeated (重庆市渝中区 + 区卫健委 → 渝中区卫健委, 贵阳市 + 市卫生健康局 → 贵阳市卫生健康局).
 */
export function typedName(unit: Pick<Unit, "name" | "jurisdiction">): string {
  const place = /([^省市区县州旗]+[省市区县州旗])$/.exec(unit.jurisdiction)?.[1] ?? "";
  if (!place || unit.name.startsWith(place)) return unit.name;
  return place + (unit.name[0] === place[place.length - 1] ? unit.name.slice(1) : unit.name);
}

/**
 * Units a name that matched nothing probably meant: those whose name (or abbreviation) contains what was typed, or
 * whose name is contained in it ("渝中卫健委" → 区卫健委), preferring the ones whose place was typed too.
 */
export async function similarUnits(db: Kysely<Database>, typed: string, limit = 20): Promise<Unit[]> {
  const t = typed.replace(/\s+/g, "").replace(/[（(]([^)）]+)[)）]$/, "");
  if (t.length < 2 || t.length > MAX_UNIT_NAME) return [];
  const typedKeys = [...new Set(readings(t).flatMap((r) => aliasKeys(r.name)))].map((k) => k.replace(/^[省市区县]/, "")).filter((k) => k.length >= 2);
  const units = await db.selectFrom("units").selectAll().where("kind", "=", "unit").orderBy("id").execute();
  const hits = units.filter((u) => {
    const keys = aliasKeys(u.name).map((k) => k.replace(/^[省市区县]/, "")).filter((k) => k.length >= 2);
    return keys.some((k) => typedKeys.some((tk) => k.includes(tk) || tk.includes(k)));
  });
  // "渝中卫健委": the place without its level (渝中) typed in front narrows to that jurisdiction.
  const placeOf = (u: Unit) => (/([^省市区县州旗]+)[省市区县州旗]$/.exec(u.jurisdiction)?.[1] ?? u.jurisdiction);
  const placed = hits.filter((u) => t.includes(placeOf(u)));
  return (placed.length > 0 ? placed : hits).slice(0, limit);
}
