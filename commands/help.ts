import { card, esc, hr, md } from "../cards/elements.js";
import { resolveActor, type Actor } from "../src/domain/actors.js";
import { exampleUnitName, withExampleUnit } from "../src/domain/first-steps.js";
import { unitLabel } from "../src/domain/units-lookup.js";
import { parseCommand } from "../src/events/parse-command.js";
import type { CommandContext, CommandDef } from "../src/events/types.js";

const INTRO = "您好！我是督办助手：各单位在这里查看牵头和配合的任务、填报指标数值，督办室在这里看进度和周报。命令以 / 开头。";

/** One line per command, with its examples written with a unit of this tenant. */
function commandLines(cmds: readonly CommandDef[], example: string): string {
  return cmds.map((c) => `**/${c.name}**${c.aliases?.length ? `（${c.aliases.filter((a) => /^[a-z]+$/i.test(a)).map((a) => `/${a}`).join(" ")}）` : ""}　${c.summary}` +
    (c.examples?.length ? `\n<font color='grey'>例：${c.examples.map((e) => withExampleUnit(e, example)).join("　")}</font>` : "")).join("\n");
}

/** Who the bot takes the user for, and the next step from there: a newcomer reads how to bind before anything else. */
function youLines(actor: Actor, example: string): string[] {
  const out: string[] = [];
  if (actor.units.length > 0) out.push(`您是 **${actor.units.map((u) => esc(unitLabel(u))).join("、")}** 的成员：发送 /我的任务 查看本单位任务，/上报 填报指标数值。`);
  if (actor.isSupervisor) out.push("您在督办室：/进度 查看全部单位进度，/周报 查看汇总，/导出 导出台账。");
  if (actor.isAdmin) out.push("您是管理员：绑定申请会发给您确认；在单位的群里 @督办助手 发送 /绑定群 单位名称，该群每周收到这个单位的周报。");
  if (out.length === 0) {
    out.push(`**第一步：绑定您的单位。** 发送 /绑定 ${example}（换成您的单位：地区 + 单位名称），管理员确认后即可查看和填报本单位任务。`);
  }
  return out;
}

async function chatLine(ctx: CommandContext, actor: Actor): Promise<string | null> {
  if (ctx.message.chatType !== "group") return null;
  const chat = await ctx.db.selectFrom("chats").leftJoin("units", "units.id", "chats.unit_id")
    .select(["chats.kind", "units.name", "units.jurisdiction"]).where("chats.chat_id", "=", ctx.message.chatId).executeTakeFirst();
  if (chat?.kind === "supervisor") return "本群是督办群：每周收到全部单位的周报汇总。";
  if (chat?.kind === "unit" && chat.name) return `本群绑定到 **${esc(unitLabel({ name: chat.name, jurisdiction: chat.jurisdiction ?? "" }))}**：每周收到该单位的周报。`;
  return actor.isAdmin
    ? "本群尚未绑定单位：在本群 @督办助手 发送 /绑定群 单位名称，本群即每周收到该单位周报。"
    : "本群尚未绑定单位：请管理员在本群 @督办助手 发送 /绑定群 单位名称。";
}

/**
 * Built from the registry so the help never lists a command that does not exist. It is also the answer to anything
 * that is not a command, so it opens with why the user sees it: a greeting for plain words, 未知命令 for a slash
 * command that does not exist, and what the bot reads for a picture or a file.
 */
export function helpCommand(all: () => readonly CommandDef[]): CommandDef {
  return {
    name: "帮助",
    aliases: ["help", "h", "?", "？"],
    summary: "查看所有命令和示例",
    readOnly: true,
    examples: ["/帮助", "/帮助 上报"],
    async handle(ctx) {
      const cmds = all();
      const parsed = parseCommand(ctx.message.text, cmds);
      const asked = parsed.command?.name === "帮助";
      const typed = ctx.args.trim();
      const example = await exampleUnitName(ctx.db);

      if (asked && typed) {
        // "/帮助 上报": that command alone.
        const one = parseCommand(`/${typed}`, cmds).command;
        if (one && one.name !== "帮助") {
          await ctx.replyPrivately(card(`督办助手 · /${one.name}`, [md(commandLines([one], example)), md("<font color='grey'>发送 /帮助 查看全部命令。</font>")], { color: "blue" }));
          return;
        }
      }
      let opening: string | null = null;
      let unknown = false;
      if (asked) {
        if (typed) {
          opening = `没有名为“${esc(typed.slice(0, 30))}”的命令。请使用下面的命令：`;
          unknown = true;
        }
      } else if (ctx.message.text.trim() === "" && typed) {
        opening = `我只能读文字消息（收到的是${esc(typed.slice(0, 30))}）。请发送以 / 开头的命令，例如 /我的任务。`;
      } else if (parsed.text.startsWith("/")) {
        opening = `未知命令“${esc(parsed.text.split(" ")[0]!.slice(0, 30))}”。请使用下面的命令：`;
        unknown = true;
      } else {
        opening = INTRO;
      }
      const actor = await resolveActor(ctx, ctx.message.senderOpenId);
      const chat = await chatLine(ctx, actor);
      // In a group the card says who the user is bound to, so only they see it.
      await ctx.replyPrivately(
        card("督办助手 · 使用帮助", [
          ...(opening ? [md(opening)] : []),
          md([...youLines(actor, example), ...(chat ? [chat] : [])].join("\n")),
          hr(),
          md(commandLines(cmds, example)),
          md("<font color='grey'>在群里请先 @督办助手 再输入命令；/我的任务 在群里只有您本人可见，加“公开”则全群可见。</font>"),
        ], { color: unknown ? "orange" : "blue" }),
      );
    },
  };
}
