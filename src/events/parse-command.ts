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
  const text = raw
    .replace(/@_(user_\d+|all)/g, " ")
    .replace(/[\u3000\u00a0]/g, " ")
    .replace(/^[\s]+|[\s]+$/g, "")
    .replace(/^[／⁄∕]/, "/")
    .replace(/\s+/g, " ");
  const m = /^\/?\s*(\S+)\s*(.*)$/s.exec(text);
  if (!m) return { command: null, word: "", args: "", text };
  const word = m[1]!.toLowerCase();
  const slashed = text.startsWith("/");
  const command = commands.find((c) => c.name.toLowerCase() === word || (c.aliases ?? []).some((a) => a.toLowerCase() === word)) ?? null;
  // Without a slash only an exact command word counts, so ordinary chat text is not mistaken for a command.
  if (!slashed && !command) return { command: null, word: "", args: text, text };
  return { command, word: m[1]!, args: m[2]!.trim(), text };
}
