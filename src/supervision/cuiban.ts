import type { Kysely } from "kysely";
import { cuibanCard, urgentNoticeCard, type CuibanItem } from "../../cards/cuiban.js";
import { chinaTime, targetText } from "../../cards/format.js";
import { localDate, periodLabel, periodLastDay } from "../domain/period.js";
import { unitTasks } from "../domain/tasks.js";
import type { Services } from "../events/types.js";
import type { Database, Unit } from "../store/schema.js";
import { appendEvent, itemsKey, parseItems, unitEvents } from "./ledger.js";

/** Knobs of the 督办 loop; every one has a default so a bare deployment behaves sensibly. */
export interface LoopSettings {
  /** A second 催办 on the same items within this many hours is refused. */
  cuibanIntervalHours: number;
  /** From this 催办 on (counting earlier 催办 sharing an item), Feishu's in-app urgent notification is added. */
  urgentFrom: number;
  /** The 催办 card asks for the report within this many days. */
  cuibanDueDays: number;
  /** After this many 催办 of an item without a report, the supervisor digest lists it under 多次催办未落实. */
  escalateAfter: number;
}

export const DEFAULT_LOOP_SETTINGS: LoopSettings = { cuibanIntervalHours: 24, urgentFrom: 2, cuibanDueDays: 3, escalateAfter: 2 };

export const loopSettings = (s: { loop?: Partial<LoopSettings> }): LoopSettings => ({ ...DEFAULT_LOOP_SETTINGS, ...s.loop });

const fmtDay = (d: { year: number; month: number; day: number }) => `${d.year}年${d.month}月${d.day}日`;

/**
 * What a unit is behind on: the indicators of the measures it leads that have no value for their current period,
 * and those already overdue. The key carries the period, so next quarter's gap is a new item.
 */
export async function lagItems(db: Kysely<Database>, unit: Unit, now: Date): Promise<CuibanItem[]> {
  const tasks = (await unitTasks(db, unit, now)).filter((t) => t.role === "lead");
  const items: CuibanItem[] = [];
  for (const t of tasks) {
    for (const i of t.indicators) {
      if (i.status.status === "overdue") {
        items.push({ key: `indicator:${i.id}@overdue`, indicatorId: i.id, name: i.name, reason: "overdue", text: `已逾期，目标 ${targetText(i)}` });
      } else if (!i.reportedThisPeriod) {
        items.push({ key: `indicator:${i.id}@${i.currentPeriod}`, indicatorId: i.id, name: i.name, reason: "missing", text: `${periodLabel(i.currentPeriod)}未填报（本期截至 ${fmtDay(periodLastDay(i.currentPeriod))}）` });
      }
    }
  }
  return items;
}

/** Where a unit's pushes go: its bound chats, else its members one by one. */
export async function unitRecipients(db: Kysely<Database>, unitId: number) {
  const chats = (await db.selectFrom("chats").select("chat_id").where("kind", "=", "unit").where("unit_id", "=", unitId).execute()).map((c) => c.chat_id);
  const members = [...new Set((await db.selectFrom("members").select("open_id").where("unit_id", "=", unitId).execute()).map((m) => m.open_id))];
  return { chats, members };
}

export type CuibanOutcome =
  | { ok: true; eventId: number; count: number; items: number; recipients: string[]; viaChat: boolean; urgent: boolean }
  | { ok: false; reason: "nothing_due" | "too_soon" | "no_recipient"; text: string };

/**
 * A supervisor's 催办 of one unit: records it, queues the 催办 card to the unit's chat (or each member), and from
 * the `urgentFrom`-th 催办 on queues Feishu's in-app urgent notification for those messages to the unit's members.
 * No network call happens here (the outbox delivers), so a card callback can run it within its 3 s.
 */
export async function cuiban(s: Services & { loop?: Partial<LoopSettings> }, actorOpenId: string, unit: Unit): Promise<CuibanOutcome> {
  const settings = loopSettings(s);
  const now = s.clock.now();
  const items = await lagItems(s.db, unit, now);
  if (items.length === 0) return { ok: false, reason: "nothing_due", text: `${unit.name}目前没有未填报或逾期的指标，无需催办` };
  const key = itemsKey(items.map((i) => i.key));
  const previous = await unitEvents(s.db, unit.id, "cuiban");
  const same = previous.filter((e) => e.items_key === key).at(-1);
  const windowMs = settings.cuibanIntervalHours * 3600_000;
  if (same && now.getTime() - Date.parse(same.created_at) < windowMs) {
    const again = new Date(Date.parse(same.created_at) + windowMs).toISOString();
    return {
      ok: false,
      reason: "too_soon",
      text: `同一事项已于 ${chinaTime(same.created_at)} 催办过，${settings.cuibanIntervalHours} 小时内不重复催办（${chinaTime(again)} 后可再次催办）`,
    };
  }
  const { chats, members } = await unitRecipients(s.db, unit.id);
  const viaChat = chats.length > 0;
  const recipients = viaChat ? chats : members;
  if (recipients.length === 0) return { ok: false, reason: "no_recipient", text: `${unit.name}还没有绑定群，也没有成员，无法催办。请先让该单位 /绑定` };

  const keys = new Set(items.map((i) => i.key));
  const count = previous.filter((e) => parseItems(e).some((k) => keys.has(k))).length + 1;
  const urgent = count >= settings.urgentFrom && members.length > 0;
  const due = localDate(new Date(now.getTime() + settings.cuibanDueDays * 86_400_000));
  const eventId = await appendEvent(s.db, {
    kind: "cuiban",
    actorOpenId,
    unitId: unit.id,
    recipients,
    items: items.map((i) => i.key),
    detail: { summary: `${items.length} 项：${items.slice(0, 3).map((i) => i.name).join("、")}${items.length > 3 ? "等" : ""}`, due: fmtDay(due), count, viaChat },
    at: now,
  });
  const card = cuibanCard({ unit, actorOpenId, items, due: fmtDay(due), count, privateSend: !viaChat, issuedAt: now.toISOString() });
  for (const r of recipients) {
    const dedupeKey = `cuiban:${eventId}:${r}`;
    if (viaChat) await s.messenger.sendToChat(r, card, { dedupeKey, ledgerEventId: eventId });
    else await s.messenger.sendToUser(r, card, { dedupeKey, ledgerEventId: eventId });
  }
  if (urgent) {
    const urgentId = await appendEvent(s.db, {
      kind: "urgent",
      actorOpenId,
      unitId: unit.id,
      recipients: members,
      items: items.map((i) => i.key),
      detail: { summary: `第 ${count} 次催办，应用内加急 ${members.length} 人` },
      refEventId: eventId,
      at: now,
    });
    for (const r of recipients) {
      // In a chat every member is buzzed on the one message; privately each member only on their own copy.
      const users = viaChat ? members : [r];
      await s.messenger.urgentApp(r, `cuiban:${eventId}:${r}`, users, urgentNoticeCard(unit, users, count), { dedupeKey: `urgent:${eventId}:${r}`, ledgerEventId: urgentId });
    }
  }
  return { ok: true, eventId, count, items: items.length, recipients, viaChat, urgent };
}
