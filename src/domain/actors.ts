import type { Services } from "../events/types.js";
import { executeReusable } from "../store/compiled-once.js";
import type { Unit } from "../store/schema.js";

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
  /** The user's Lark departments when no unit was found (for the message saying how to get bound). */
  departments?: { id: string; name: string }[];
}

/**
 * Members table first; otherwise the user's Lark departments through the admin-set department → unit mapping
 * (exactly one mapped unit binds the user — recorded so the next look-up is local); otherwise unbound.
 */
export async function resolveActor(s: Services, openId: string): Promise<Actor> {
  if (s.knownActor?.openId === openId) return s.knownActor;
  // Compiled once (src/store/compiled-once.ts): every event that names a sender runs it.
  const rows = await executeReusable(s.db, {
    key: "actors/members",
    build: ([id]: readonly [string]) =>
      s.db
        .selectFrom("members")
        .leftJoin("units", "units.id", "members.unit_id")
        .select(["members.role", "members.unit_id", "units.jurisdiction", "units.name", "units.kind"])
        .where("members.open_id", "=", id),
  }, [openId] as const);
  const isAdmin = s.adminOpenIds.includes(openId) || rows.some((r) => r.role === "admin");
  const isSupervisor = rows.some((r) => r.role === "supervisor");
  const units: Unit[] = [];
  for (const r of rows) {
    if (r.unit_id !== null && r.name !== null && r.jurisdiction !== null && !units.some((u) => u.id === r.unit_id)) {
      units.push({ id: r.unit_id, name: r.name, jurisdiction: r.jurisdiction, kind: r.kind ?? "unit" });
    }
  }
  if (units.length > 0) return { openId, units, isAdmin, isSupervisor, source: "members" };

  let departments: { id: string; name: string }[] = [];
  try {
    departments = await s.directory.userDepartments(openId);
  } catch (err) {
    s.log.warn("directory lookup failed", { openId, error: String(err) });
  }
  // Only a mapping an admin set (/绑定部门) binds automatically. Department names are never matched against unit
  // names: 北京市公安局 is not 贵阳市's 市公安局. Several mapped departments pointing at different units bind nothing.
  const ids = departments.map((d) => d.id).filter(Boolean);
  const mapped = ids.length
    ? await s.db
        .selectFrom("department_units")
        .innerJoin("units", "units.id", "department_units.unit_id")
        .selectAll("units")
        .where("department_units.department_id", "in", ids)
        .execute()
    : [];
  const distinct = [...new Map(mapped.map((u) => [u.id, u])).values()];
  if (distinct.length === 1) {
    const unit = distinct[0]!;
    await s.db
      .insertInto("members")
      .values({ open_id: openId, unit_id: unit.id, role: "member", name: null, created_at: s.clock.now().toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return { openId, units: [unit], isAdmin, isSupervisor, source: "directory" };
  }
  return { openId, units: [], isAdmin, isSupervisor, source: "none", departments };
}
