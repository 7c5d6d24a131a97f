import { readFileSync, statSync } from "node:fs";
import { parseCli, runCli, UsageError, type CliSpec, type OptionSpec } from "../src/cli/args.js";
import { systemClock } from "../src/clock.js";
import { applyRoster, parseRoster } from "../src/store/roster.js";
import { openStore } from "../src/store/open.js";
import { defaultDatabasePath } from "../src/store/sqlite.js";

const MAX_ROSTER_BYTES = 4 * 1024 * 1024;

const spec = {
  command: "npm run roster --",
  positionals: "<名册.json>",
  summary: "把名册（成员账号、群、分组的成员单位）写入数据库；可重复执行 (apply a roster file)",
  options: {},
  examples: ["npm run roster -- seeds/roster.json"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

runCli(async () => {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError("要给出一个名册文件，例如 npm run roster -- seeds/roster.json");
  const file = parsed.positionals[0]!;
  // Capped before reading: a roster is a few hundred lines, not a dump.
  if (statSync(file).size > MAX_ROSTER_BYTES) throw new UsageError(`名册文件超过 ${MAX_ROSTER_BYTES / 1024 / 1024} MB，请检查是否选错了文件`);
  const roster = parseRoster(readFileSync(file, "utf8"));
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL, databasePath: defaultDatabasePath() });
  try {
    const r = await applyRoster(store.db, roster, systemClock);
    console.log(`已写入 applied: 新增成员账号 ${r.members} 个，群 ${r.chats} 个，分组成员 ${r.groupMembers} 个` +
      (r.unitsCreated.length ? `；新建单位 ${r.unitsCreated.length} 个：${r.unitsCreated.join("、")}` : ""));
    if (r.skipped.length) console.log(`未处理 skipped ${r.skipped.length} 项：\n  ${r.skipped.join("\n  ")}`);
    return 0;
  } finally {
    await store.close();
  }
});
