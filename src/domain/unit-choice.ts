import { esc } from "../../cards/elements.js";
import type { Kysely } from "kysely";
import type { Database, Unit } from "../store/schema.js";
import type { Actor } from "./actors.js";
import { unboundTextFor } from "./first-steps.js";
import { lookupUnits, unitLabel } from "./units-lookup.js";

export type UnitChoice = { unit: Unit; rest: string } | { error: string };

/**
 * Which of the sender's units a command is for (an unbound sender gets the text saying how to get bound). An official bound to several units names one anywhere in the
 * arguments (`/我的任务 区医保局 2`, `/上报 区医保局 签约`); the word is taken out and the rest goes to the command.
 * Without a name the first unit is meant and the card offers the others. Naming a unit the sender is not bound to
 * is refused rather than silently ignored, so nobody believes they are looking at another office's work.
 */
export async function chooseUnit(db: Kysely<Database>, actor: Actor, args: string): Promise<UnitChoice> {
  const words = args.split(/\s+/).filter(Boolean);
  if (actor.units.length === 0) return { error: await unboundTextFor(db, actor) };
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    // Page numbers, 公开 and one-character words are never unit names; skip the look-up for them.
    if (w.length < 2 || /^[0-9０-９]+$/.test(w) || w === "公开") continue;
    const found = (await lookupUnits(db, w)).filter((u) => u.kind === "unit");
    if (found.length === 0) continue;
    const mine = found.filter((u) => actor.units.some((a) => a.id === u.id));
    if (mine.length === 1) return { unit: mine[0]!, rest: [...words.slice(0, k), ...words.slice(k + 1)].join(" ") };
    if (mine.length === 0) {
      return { error: `您没有绑定到 ${found.slice(0, 3).map((u) => esc(unitLabel(u))).join("、")}${found.length > 3 ? " 等" : ""}。您的单位：${actor.units.map((u) => esc(unitLabel(u))).join("、")}。如需加入，请发送 /绑定 单位名称。` };
    }
  }
  return { unit: actor.units[0]!, rest: words.join(" ") };
}
