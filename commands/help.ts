import { card, md } from "../cards/elements.js";
import type { CommandDef } from "../src/events/types.js";

/** Built from the registry so the help never lists a command that does not exist. */
export function helpCommand(all: () => readonly CommandDef[]): CommandDef {
  return {
    name: "帮助",
    aliases: ["help", "h", "?", "？"],
    summary: "查看所有命令和示例",
    examples: ["/帮助"],
    async handle(ctx) {
      const typed = ctx.args.trim();
      const unknown = typed.length > 0 && !/^(帮助|help)$/i.test(typed);
      const lines = all().map((c) => `**/${c.name}**${c.aliases?.length ? `（${c.aliases.filter((a) => /^[a-z]+$/i.test(a)).map((a) => `/${a}`).join(" ")}）` : ""}　${c.summary}` +
        (c.examples?.length ? `\n<font color='grey'>例：${c.examples.join("　")}</font>` : ""));
      await ctx.reply(
        card("督办助手 · 使用帮助", [
          ...(unknown ? [md(`未知命令“${typed.slice(0, 30).replace(/[<>*]/g, "")}”。请使用下面的命令：`)] : []),
          md(lines.join("\n")),
          md("<font color='grey'>在群里请先 @督办助手 再输入命令；/我的任务 在群里只有您本人可见，加“公开”则全群可见。</font>"),
        ], { color: unknown ? "orange" : "blue" }),
      );
    },
  };
}
