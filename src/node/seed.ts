import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import { parseFile } from "../importer/index.js";
import { importDocument, sha256Hex } from "../importer/store.js";
import type { Database } from "../store/schema.js";
import { demoOpenIdForUnit } from "../store/unit-names.js";
import { applyRoster, parseRoster, type Roster, type RosterResult } from "../store/roster.js";

export interface SeedCounts {
  plans: number;
  tasks: number;
  units: number;
  indicators: number;
  members: number;
  imported: string[];
  /** What the demo roster added (local mode only). */
  roster: RosterResult | null;
}

/**
 * Imports every plan in seeds/ (.txt, .docx, .xlsx, .pdf) (unchanged files are skipped by hash). With `demoRoster` (local mode only) it also
 * applies seeds/roster.json — its named accounts such as ou_demo_admin — and one demo member per unit so local mode
 * can act as any office. Against a real tenant these made-up accounts would be admins nobody controls.
 */
export async function seedStore(db: Kysely<Database>, seedsDir: string, clock: Clock, o: { demoRoster: boolean }): Promise<SeedCounts> {
  const imported: string[] = [];
  for (const file of readdirSync(seedsDir).filter((f) => /\.(txt|docx|xlsx|pdf)$/i.test(f)).sort()) {
    const bytes = readFileSync(join(seedsDir, file));
    const plan = await parseFile(bytes, { fileName: file });
    const r = await importDocument(db, plan, { fileName: file, hash: await sha256Hex(bytes), clock });
    if (!r.unchanged) imported.push(file);
  }
  const roster = o.demoRoster ? await seedDemoRoster(db, seedsDir, clock) : null;
  const n = async (table: "plans" | "units" | "members") =>
    Number((await db.selectFrom(table).select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
  const tasks = await db.selectFrom("tasks").select(db.fn.countAll<number>().as("n")).where("retired_at", "is", null).executeTakeFirstOrThrow();
  const indicators = await db.selectFrom("indicators").select(db.fn.countAll<number>().as("n")).where("retired_at", "is", null).executeTakeFirstOrThrow();
  return { plans: await n("plans"), tasks: Number(tasks.n), units: await n("units"), indicators: Number(indicators.n), members: await n("members"), imported, roster };
}

async function seedDemoRoster(db: Kysely<Database>, seedsDir: string, clock: Clock): Promise<RosterResult> {
  const now = clock.now().toISOString();
  let roster: Roster = { members: [], chats: [], groups: [] };
  try {
    roster = parseRoster(readFileSync(join(seedsDir, "roster.json"), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  // Before the demo accounts: a group member the roster names but no plan printed still gets its demo account.
  const applied = await applyRoster(db, roster, clock);
  const units = await db.selectFrom("units").select(["id", "jurisdiction", "name"]).where("kind", "=", "unit").execute();
  const rows = await Promise.all(
    units.map(async (u) => ({
      open_id: await demoOpenIdForUnit(u.jurisdiction, u.name),
      unit_id: u.id,
      role: "member" as const,
      name: `${u.name}演示账号`,
      created_at: now,
    })),
  );
  for (let i = 0; i < rows.length; i += 50) {
    await db.insertInto("members").values(rows.slice(i, i + 50)).onConflict((oc) => oc.doNothing()).execute();
  }
  return applied;
}
