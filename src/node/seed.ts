import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Clock } from "../clock.js";
import { parseFile } from "../importer/index.js";
import { importDocument, sha256Hex } from "../importer/store.js";
import type { Database } from "../store/schema.js";
import { demoOpenIdForUnit } from "../store/unit-names.js";

const rosterSchema = z.object({
  members: z.array(z.object({ open_id: z.string(), name: z.string().optional(), role: z.enum(["member", "admin", "supervisor"]), unit: z.string().optional() })),
  chats: z.array(z.object({ chat_id: z.string(), kind: z.enum(["unit", "supervisor"]), name: z.string().optional() })).default([]),
});

export interface SeedCounts {
  plans: number;
  tasks: number;
  units: number;
  indicators: number;
  members: number;
  imported: string[];
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
  if (o.demoRoster) await seedDemoRoster(db, seedsDir, clock);
  const n = async (table: "plans" | "units" | "members") =>
    Number((await db.selectFrom(table).select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
  const tasks = await db.selectFrom("tasks").select(db.fn.countAll<number>().as("n")).where("retired_at", "is", null).executeTakeFirstOrThrow();
  const indicators = await db.selectFrom("indicators").select(db.fn.countAll<number>().as("n")).where("retired_at", "is", null).executeTakeFirstOrThrow();
  return { plans: await n("plans"), tasks: Number(tasks.n), units: await n("units"), indicators: Number(indicators.n), members: await n("members"), imported };
}

async function seedDemoRoster(db: Kysely<Database>, seedsDir: string, clock: Clock): Promise<void> {
  const now = clock.now().toISOString();
  let roster: z.infer<typeof rosterSchema> = { members: [], chats: [] };
  try {
    roster = rosterSchema.parse(JSON.parse(readFileSync(join(seedsDir, "roster.json"), "utf8")));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  for (const m of roster.members) {
    // unit_id is NULL for these accounts and NULLs never collide in a UNIQUE index, so look before inserting.
    const known = await db.selectFrom("members").select("id").where("open_id", "=", m.open_id).where("role", "=", m.role).executeTakeFirst();
    if (!known) {
      await db.insertInto("members").values({ open_id: m.open_id, unit_id: null, role: m.role, name: m.name ?? null, created_at: now }).execute();
    }
  }
  for (const c of roster.chats) {
    await db
      .insertInto("chats")
      .values({ chat_id: c.chat_id, kind: c.kind, unit_id: null, name: c.name ?? null, bound_by: "seed", bound_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
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
}
