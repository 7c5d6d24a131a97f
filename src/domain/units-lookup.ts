import type { Kysely } from "kysely";
import type { Database, Unit } from "../store/schema.js";
import { findUnits } from "../store/units.js";

export { unitLabel } from "../store/units.js";

/** What an official typed for a unit → the matching units (several = ambiguous: ask which). */
export function lookupUnits(db: Kysely<Database>, typed: string, jurisdiction?: string): Promise<Unit[]> {
  return findUnits(db, typed, jurisdiction ? { jurisdiction } : {});
}
