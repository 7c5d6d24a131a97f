import { errorCard } from "../../cards/notice.js";
import { resolveActor, type Actor } from "../domain/actors.js";
import { unboundTextFor } from "../domain/first-steps.js";
import type { CommandContext } from "./types.js";

export interface Viewer {
  actor: Actor;
  /** Supervisors and admins see every unit; everyone else only their own. */
  seesAll: boolean;
}

/**
 * The sender of a command that shows unit data (/进度, /指标, /导出). Someone who sees all units or is bound to a
 * unit gets through; anyone else is told privately how to get bound, and the command stops (null).
 */
export async function viewerOf(ctx: CommandContext, purpose?: string): Promise<Viewer | null> {
  const actor = await resolveActor(ctx, ctx.message.senderOpenId);
  const seesAll = actor.isSupervisor || actor.isAdmin;
  if (!seesAll && actor.units.length === 0) {
    await ctx.replyPrivately(errorCard(await unboundTextFor(ctx.db, actor, purpose)));
    return null;
  }
  return { actor, seesAll };
}
