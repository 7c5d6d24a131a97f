import { supervisorDigestCard, unitDigestCard } from "../cards/digest.js";
import { errorCard } from "../cards/notice.js";
import { chooseUnit } from "../src/domain/unit-choice.js";
import { resolveActor } from "../src/domain/actors.js";
import { exampleUnitName, unboundText } from "../src/domain/first-steps.js";
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { digestForChat } from "../src/digest/send.js";
import type { CommandDef } from "../src/events/types.js";
import { loopSettings } from "../src/supervision/cuiban.js";

export const weeklyDigest: CommandDef = {
  name: "周报",
  aliases: ["digest", "weekly"],
  summary: "立即查看本群（或本单位）的周报",
  examples: ["/周报", "/周报 渝中区卫健委"],
  async handle(ctx) {
    const now = ctx.clock.now();
    const forChat = await digestForChat(ctx, ctx.message.chatId, now);
    if (forChat) {
      await ctx.reply(forChat);
      return;
    }
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    if (actor.isSupervisor || (actor.isAdmin && actor.units.length === 0)) {
      // The supervising office reads the overall digest wherever it asks, not only in the bound office chat.
      const d = await buildSupervisorDigest(ctx.db, now, { escalateAfter: loopSettings(ctx).escalateAfter });
      await ctx.replyPrivately(supervisorDigestCard(d, { cuiban: actor.isSupervisor }));
      return;
    }
    if (actor.units.length === 0) {
      await ctx.replyPrivately(errorCard(ctx.message.chatType === "p2p"
        ? await unboundText(ctx.db, "查看本单位周报")
        : `本群尚未绑定单位，您也还没有绑定单位。管理员可在本群发送 /绑定群 单位名称；个人请发送 /绑定 单位名称（例如 /绑定 ${await exampleUnitName(ctx.db)}）。`));
      return;
    }
    // An official of several units names one (/周报 区医保局); without a name, each of them (at most three).
    const choice = ctx.args.trim() ? await chooseUnit(ctx.db, actor, ctx.args) : null;
    if (choice && "error" in choice) {
      await ctx.replyPrivately(errorCard(choice.error));
      return;
    }
    for (const u of choice ? [choice.unit] : actor.units.slice(0, 3)) {
      await ctx.replyPrivately(unitDigestCard(await buildUnitDigest(ctx.db, u, now)));
    }
  },
};
