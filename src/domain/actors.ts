import type { Services } from "../events/types.js";
import type { Unit } from "../store/schema.js";
import { lookupUnits } from "./units-lookup.js";

/** Who is talking to the bot, as far as duban is concerned. */
export interface Actor {
  openId: string;
  /** Units the user reports for (usually one). */
  units: Unit[];
  isAdmin: boolean;
  /** Supervisors (督办) see every unit. */
  isSupervisor: boolean;
  /** How the unit was found, for the "why do I see this" line on cards. */
  source: "members" | "directory" | "none";
}

/**
 * Members table first; otherwise the user's departments from the open platform matched against unit names and
 * aliases (a department that matches exactly one unit binds the user — recorded so the next look-up is local).
 */
export async function resolveActor(s: Services, openId: string): Promise<Actor> {
  const rows = await s.db
    .selectFrom("members")
    .leftJoin("units", "units.id", "members.unit_id")
    .select(["members.role", "members.unit_id", "units.jurisdiction", "units.name", "units.kind"])
    .where("members.open_id", "=", openId)
    .execute();
  const isAdmin = s.adminOpenIds.includes(openId) || rows.some((r) => r.role === "admin");
  const isSupervisor = rows.some((r) => r.role === "supervisor");
  const units: Unit[] = [];
  for (const r of rows) {
    if (r.unit_id !== null && r.name !== null && r.jurisdiction !== null && !units.some((u) => u.id === r.unit_id)) {
      units.push({ id: r.unit_id, name: r.name, jurisdiction: r.jurisdiction, kind: r.kind ?? "unit" });
    }
  }
  if (units.length > 0) return { openId, units, isAdmin, isSupervisor, source: "members" };

  let departments: string[] = [];
  try {
    departments = await s.directory.userDepartmentNames(openId);
  } catch (err) {
    s.log.warn("directory lookup failed", { openId, error: String(err) });
  }
  for (const dept of departments) {
    const found = (await lookupUnits(s.db, dept)).filter((u) => u.kind === "unit");
    if (found.length === 1) {
      const unit = found[0]!;
      await s.db
        .insertInto("members")
        .values({ open_id: openId, unit_id: unit.id, role: "member", name: null, created_at: s.clock.now().toISOString() })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return { openId, units: [unit], isAdmin, isSupervisor, source: "directory" };
    }
  }
  return { openId, units: [], isAdmin, isSupervisor, source: "none" };
}
