import { reminderCard } from "../../cards/reminder.js";
import type { Services } from "../events/types.js";
import { appendEvent, itemsKey } from "../supervision/ledger.js";
import { unitRecipients } from "../supervision/cuiban.js";
import { DEFAULT_REMINDER_SETTINGS, localClock, mayRemind, planReminders, type ReminderSettings } from "./plan.js";

/** Short stable hash of an item set (FNV-1a), so outbox keys stay short however many items a unit has. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

export interface ReminderRun {
  /** false outside working hours or on a day off: nothing was looked at. */
  open: boolean;
  units: number;
  items: number;
  queued: number;
}

/**
 * Queues today's reminders: one card per unit to its bound chats (or each member when none is bound), recorded in
 * the 督办 record. The outbox key reminder:<unit>:<day>:<item set>:<recipient> makes a rerun on the same day (a
 * second instance, a cron that fires twice) a no-op; the record's stage keys keep later days from repeating them.
 * Sends are bulk: the outbox worker paces them behind interactive answers and under Lark's rate limits.
 */
export async function enqueueReminders(s: Services, now: Date, settings: ReminderSettings = DEFAULT_REMINDER_SETTINGS): Promise<ReminderRun> {
  const plans = await planReminders(s.db, now, settings);
  const d = localClock(now, settings.tz).date;
  const day = `${d.year}${String(d.month).padStart(2, "0")}${String(d.day).padStart(2, "0")}`;
  let queued = 0;
  let items = 0;
  for (const { unit, items: list } of plans) {
    const prefix = `reminder:${unit.id}:${day}:${hash(itemsKey(list.map((i) => i.key)))}:`;
    const already = await s.db.selectFrom("outbox").select("id").where("dedupe_key", "like", `${prefix}%`).executeTakeFirst();
    if (already) continue;
    const { chats, members } = await unitRecipients(s.db, unit.id);
    const viaChat = chats.length > 0;
    const recipients = viaChat ? chats : members;
    if (recipients.length === 0) continue;
    const overdue = list.filter((i) => i.reason === "overdue").length;
    const eventId = await appendEvent(s.db, {
      kind: "reminder",
      actorOpenId: null,
      unitId: unit.id,
      recipients,
      items: list.map((i) => i.key),
      detail: { summary: `${list.length} 项${overdue ? `（逾期 ${overdue}）` : ""}：${list.slice(0, 3).map((i) => i.name).join("、")}${list.length > 3 ? "等" : ""}`, viaChat },
      at: now,
    });
    const card = reminderCard(unit, list, { privateSend: !viaChat });
    for (const r of recipients) {
      const o = { dedupeKey: prefix + r, bulk: true, ledgerEventId: eventId };
      if (viaChat) await s.messenger.sendToChat(r, card, o);
      else await s.messenger.sendToUser(r, card, o);
      queued++;
    }
    items += list.length;
  }
  const run = { open: mayRemind(now, settings), units: plans.length, items, queued };
  s.log.info("reminders queued", { ...run });
  return run;
}
