import { groupWelcomeCard, type ChatBinding } from "../cards/welcome.js";
import { resolveActor } from "../src/domain/actors.js";
import { exampleUnitName } from "../src/domain/first-steps.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import type { BotAddedEvent, Services } from "../src/events/types.js";

/** The bot was added to a group: greet it with what the group is bound to and the next step. */
export async function welcomeGroup(s: Services, e: BotAddedEvent): Promise<void> {
  const chat = await s.db.selectFrom("chats").leftJoin("units", "units.id", "chats.unit_id")
    .select(["chats.kind", "units.name", "units.jurisdiction"]).where("chats.chat_id", "=", e.chatId).executeTakeFirst();
  const binding: ChatBinding = chat?.kind === "supervisor"
    ? { kind: "supervisor" }
    : chat?.kind === "unit" && chat.name ? { kind: "unit", label: unitLabel({ name: chat.name, jurisdiction: chat.jurisdiction ?? "" }) } : null;
  const operatorIsAdmin = e.operatorOpenId ? (await resolveActor(s, e.operatorOpenId)).isAdmin : false;
  const card = groupWelcomeCard({ binding, example: await exampleUnitName(s.db), operatorOpenId: e.operatorOpenId, operatorIsAdmin });
  await s.messenger.sendToChat(e.chatId, card, { dedupeKey: `welcome:${e.eventId}` });
}
