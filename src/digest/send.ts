import { supervisorDigestCard, unitDigestCard } from "../../cards/digest.js";
import type { Card } from "../../cards/types.js";
import { isoWeek } from "../domain/period.js";
import type { Services } from "../events/types.js";
import { loopSettings } from "../supervision/cuiban.js";
import { buildSupervisorDigest, buildUnitDigest } from "./build.js";

/** The digest card a chat gets: its unit's, or the overall one for the supervising office. */
export async function digestForChat(s: Services, chatId: string, now: Date): Promise<Card | null> {
  const chat = await s.db.selectFrom("chats").leftJoin("units", "units.id", "chats.unit_id")
    .select(["chats.kind", "units.id", "units.name", "units.jurisdiction", "units.kind as unitKind"]).where("chats.chat_id", "=", chatId).executeTakeFirst();
  if (!chat) return null;
  // The supervising office's chat gets the 催办 buttons; a click by anyone but a supervisor is refused by the handler.
  if (chat.kind === "supervisor") return supervisorDigestCard(await buildSupervisorDigest(s.db, now, { escalateAfter: loopSettings(s).escalateAfter }), { cuiban: true });
  if (chat.id === null || chat.name === null || chat.jurisdiction === null) return null;
  return unitDigestCard(await buildUnitDigest(s.db, { id: chat.id, name: chat.name, jurisdiction: chat.jurisdiction, kind: chat.unitKind ?? "unit" }, now));
}

/**
 * Queues this week's digest for every bound chat. The outbox key digest:<chat>:<week> makes each (chat, week)
 * one message however often this runs (a restart mid-run, a schedule firing twice); the outbox worker paces
 * the sends under Lark's limits and retries failures.
 */
export async function enqueueWeeklyDigests(s: Services, now: Date): Promise<{ week: string; chats: number; queued: number }> {
  const week = isoWeek(now);
  const chats = await s.db.selectFrom("chats").select("chat_id").orderBy("chat_id").execute();
  const already = new Set(
    (await s.db.selectFrom("outbox").select("dedupe_key").where("dedupe_key", "like", `digest:%:${week}`).execute()).map((r) => r.dedupe_key),
  );
  let queued = 0;
  for (const { chat_id } of chats) {
    const key = `digest:${chat_id}:${week}`;
    if (already.has(key)) continue;
    const card = await digestForChat(s, chat_id, now);
    if (!card) continue;
    await s.messenger.sendToChat(chat_id, card, { dedupeKey: key, bulk: true });
    queued++;
  }
  s.log.info("weekly digest queued", { week, chats: chats.length, queued });
  return { week, chats: chats.length, queued };
}

export async function digestStatus(s: Pick<Services, "db">, week: string) {
  return s.db.selectFrom("outbox").select(["target", "status", "attempts", "last_error", "sent_at"]).where("dedupe_key", "like", `digest:%:${week}`).orderBy("target").execute();
}
