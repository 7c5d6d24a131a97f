import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * One option table per CLI, with the help text beside each option, so `--help`, the usage printed on a mistake and
 * the parser cannot disagree. Unknown options and missing values are refused with the usage text instead of
 * node's raw "Unknown option" stack.
 */
export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  /** Placeholder shown in the usage, e.g. 2026-W49. */
  arg?: string;
  help: string;
}

export interface CliSpec<T extends Record<string, OptionSpec>> {
  command: string;
  summary: string;
  examples: readonly string[];
  options: T;
  positionals?: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

type Values<T extends Record<string, OptionSpec>> = {
  [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean : T[K]["multiple"] extends true ? string[] : string;
};

export function usage(spec: CliSpec<Record<string, OptionSpec>>): string {
  const rows = Object.entries({ ...spec.options, help: { type: "boolean", help: "显示本说明 show this help" } as OptionSpec }).map(([name, o]) => [
    `--${name}${o.type === "string" ? ` ${o.arg ?? "…"}` : ""}${o.multiple ? "（可重复）" : ""}`,
    o.help,
  ]);
  const width = Math.max(...rows.map(([l]) => l!.length));
  return [
    `用法 usage: ${spec.command}${spec.positionals ? ` ${spec.positionals}` : ""}`,
    spec.summary,
    "",
    ...rows.map(([l, h]) => `  ${l!.padEnd(width)}  ${h}`),
    "",
    "例如 examples:",
    ...spec.examples.map((e) => `  ${e}`),
  ].join("\n");
}

/** Parses argv by the table; `null` means --help was printed. Throws UsageError (message + usage) on a mistake. */
export function parseCli<T extends Record<string, OptionSpec>>(spec: CliSpec<T>, argv: string[] = process.argv.slice(2)): { values: Values<T>; positionals: string[] } | null {
  const options: ParseArgsConfig["options"] = { help: { type: "boolean" } };
  for (const [name, o] of Object.entries(spec.options)) options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: spec.positionals !== undefined, strict: true });
  } catch (err) {
    throw new UsageError(`${explain(err)}\n\n${usage(spec)}`);
  }
  if (parsed.values["help"]) {
    console.log(usage(spec));
    return null;
  }
  return { values: parsed.values as Values<T>, positionals: parsed.positionals };
}

function explain(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const opt = /'(-[^']*)'/.exec(e.message ?? "")?.[1] ?? "";
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `未知选项 ${opt}（unknown option）`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return `选项 ${opt} 用法不对：${/--\S+ <value>/.test(e.message ?? "") ? "需要一个值" : "不带值"}（${e.message}）`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `多余的参数 ${/'([^']*)'/.exec(e.message ?? "")?.[1] ?? ""}（unexpected argument）`;
    default:
      return String(e.message ?? err);
  }
}

/** Runs a CLI's main: usage errors exit 2 with the message, other errors exit 1 with the message only. */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
