import type { Kysely } from "kysely";
import { localDate } from "../domain/period.js";
import { unitTasks } from "../domain/tasks.js";
import type { Services } from "../events/types.js";
import type { Database } from "../store/schema.js";
import { tongbaoCard, type TongbaoUnit } from "../../cards/tongbao.js";
import { appendEvent } from "./ledger.js";

const isoDay = (d: { year: number; month: number; day: number }) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

/**
 * Overdue items by unit, as of now: indicators of measures a unit leads whose target year has passed without a
 * value, and measures it leads whose deadline has passed while their indicators are not all achieved.
 */
export async function overdueByUnit(db: Kysely<Database>, now: Date): Promise<TongbaoUnit[]> {
  const today = isoDay(localDate(now));
  const units = await db.selectFrom("units").selectAll().where("kind", "=", "unit").orderBy("id").execute();
  const out: TongbaoUnit[] = [];
  for (const unit of units) {
    const tasks = (await unitTasks(db, unit, now)).filter((t) => t.role === "lead");
    const indicators = tasks.flatMap((t) => t.indicators).filter((i) => i.status.status === "overdue");
    const measures = tasks.filter((t) => t.deadline !== null && t.deadline < today && !(t.indicators.length > 0 && t.indicators.every((i) => i.status.status === "achieved")));
    if (indicators.length === 0 && measures.length === 0) continue;
    out.push({
      unit,
      indicators: indicators.map((i) => ({ key: `indicator:${i.id}@overdue`, name: i.name })),
      measures: measures.map((t) => ({ key: `task:${t.id}#overdue`, name: `措施 ${t.code}${t.title ? ` ${t.title}` : ""}`, deadline: t.deadline! })),
    });
  }
  // Most overdue first: the card reads as the list a meeting goes through.
  return out.sort((a, b) => b.indicators.length + b.measures.length - (a.indicators.length + a.measures.length) || a.unit.id - b.unit.id);
}

/** Where a 通报 goes: every supervising chat, and the extra chat chosen (the group /通报 本群 was sent in). */
export async function tongbaoTargets(db: Kysely<Database>, extraChat: string | null): Promise<string[]> {
  const sup = (await db.selectFrom("chats").select("chat_id").where("kind", "=", "supervisor").orderBy("chat_id").execute()).map((c) => c.chat_id);
  return [...new Set([...sup, ...(extraChat ? [extraChat] : [])])];
}

export type TongbaoOutcome =
  | { ok: true; units: number; items: number; targets: string[] }
  | { ok: false; text: string };

/**
 * Posts the 通报 (after the supervisor confirmed the preview): one card to each target, recorded once as a whole
 * (with its deliveries) and once per named unit, so /记录 of a unit shows that it was named publicly. The nonce of
 * the preview makes a double click post once.
 */
export async function postTongbao(s: Services, actorOpenId: string, nonce: string, extraChat: string | null): Promise<TongbaoOutcome> {
  const now = s.clock.now();
  const targets = await tongbaoTargets(s.db, extraChat);
  if (targets.length === 0) return { ok: false, text: "还没有督办群：请先在督办室的群里发送 /绑定 督办，或在要通报的群里发送 /通报 本群" };
  const prefix = `tongbao:${nonce}:`;
  if (await s.db.selectFrom("outbox").select("id").where("dedupe_key", "like", `${prefix}%`).executeTakeFirst()) {
    return { ok: false, text: "这份通报已经发出，不再重复发送" };
  }
  const units = await overdueByUnit(s.db, now);
  if (units.length === 0) return { ok: false, text: "目前没有逾期事项，无需通报" };
  const keys = units.flatMap((u) => [...u.indicators, ...u.measures].map((i) => i.key));
  const parent = await appendEvent(s.db, {
    kind: "tongbao",
    actorOpenId,
    unitId: null,
    recipients: targets,
    items: keys,
    detail: { summary: `通报逾期事项：${units.length} 个单位 ${keys.length} 项`, nonce },
    at: now,
  });
  for (const u of units) {
    await appendEvent(s.db, {
      kind: "tongbao",
      actorOpenId,
      unitId: u.unit.id,
      recipients: targets,
      items: [...u.indicators, ...u.measures].map((i) => i.key),
      detail: { summary: `被通报：逾期 ${u.indicators.length + u.measures.length} 项` },
      refEventId: parent,
      at: now,
    });
  }
  const card = tongbaoCard(units, { actorOpenId, at: now.toISOString() });
  for (const chat of targets) await s.messenger.sendToChat(chat, card, { dedupeKey: prefix + chat, ledgerEventId: parent });
  return { ok: true, units: units.length, items: keys.length, targets };
}
