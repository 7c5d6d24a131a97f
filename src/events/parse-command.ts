import type { CommandDef } from "./types.js";

export interface ParsedCommand {
  /** The registered command, or null when the text names none. */
  command: CommandDef | null;
  /** The command word as typed (without the slash), for "未知命令" messages. */
  word: string;
  args: string;
  /** The text after mentions and normalisation. */
  text: string;
}

/**
 * Reads "@_user_1 ／我的任务  公开" the way officials type it: mention placeholders anywhere, full-width slash and
 * spaces, English aliases in any case, and a command word written without the slash.
 */
export function parseCommand(raw: string, commands: readonly CommandDef[]): ParsedCommand {
  // Runs of spaces collapse first and String#trim follows: /^\s+|\s+$/g retries the trailing class from every inner
  // space, quadratic in a run of spaces (40,000 of them took the webhook 3 s).
  const text = raw
    .replace(/@_(user_\d+|all)/g, " ")
    .replace(/[\s\u3000\u00a0]+/g, " ")
    .trim()
    // "@督办助手 /mytasks" typed as text (not a real mention) still names the command after it.
    .replace(/^(@\S+ )+(?=[/／⁄∕])/, "")
    .replace(/^[／⁄∕]/, "/");
  const m = /^\/?\s*(\S+)\s*(.*)$/s.exec(text);
  if (!m) return { command: null, word: "", args: "", text };
  const word = m[1]!.toLowerCase();
  const slashed = text.startsWith("/");
  const command = commands.find((c) => c.name.toLowerCase() === word || (c.aliases ?? []).some((a) => a.toLowerCase() === word)) ?? null;
  if (!command && slashed) {
    // "/上报签约", "/指标覆盖率": officials often leave out the space; the longest command word the text starts with.
    const names = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])].map((n) => ({ c, n })));
    const hit = names.filter(({ n }) => word.startsWith(n.toLowerCase())).sort((a, b) => b.n.length - a.n.length)[0];
    if (hit) return { command: hit.c, word: m[1]!.slice(0, hit.n.length), args: `${m[1]!.slice(hit.n.length)} ${m[2]!}`.trim(), text };
  }
  // Without a slash only an exact command word counts, so ordinary chat text is not mistaken for a command.
  if (!slashed && !command) return { command: null, word: "", args: text, text };
  return { command, word: m[1]!, args: m[2]!.trim(), text };
}
