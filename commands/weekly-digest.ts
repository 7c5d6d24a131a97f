import { unitDigestCard } from "../cards/digest.js";
import { errorCard } from "../cards/notice.js";
import { resolveActor } from "../src/domain/actors.js";
import { buildUnitDigest } from "../src/digest/build.js";
import { digestForChat } from "../src/digest/send.js";
import type { CommandDef } from "../src/events/types.js";

export const weeklyDigest: CommandDef = {
  name: "周报",
  aliases: ["digest", "weekly"],
  summary: "立即查看本群（或本单位）的周报",
  examples: ["/周报"],
  async handle(ctx) {
    const now = ctx.clock.now();
    const forChat = await digestForChat(ctx, ctx.message.chatId, now);
    if (forChat) {
      await ctx.reply(forChat);
      return;
    }
    const actor = await resolveActor(ctx, ctx.message.senderOpenId);
    const unit = actor.units[0];
    if (!unit) {
      await ctx.replyPrivately(errorCard("本群尚未绑定单位，您也还没有绑定单位。管理员可发送 /绑定 群 单位名称 绑定本群；个人请发送 /绑定 单位名称。"));
      return;
    }
    await ctx.replyPrivately(unitDigestCard(await buildUnitDigest(ctx.db, unit, now)));
  },
};
