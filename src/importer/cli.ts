import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { systemClock } from "../clock.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { toDryRunJson } from "./json.js";
import { readPlanFile } from "../intake/read.js";
import { isImportError } from "./index.js";
import { importDocument, sha256Hex } from "./store.js";

/**
 * npm run import -- FILE...                 parse and store into DATABASE_PATH (.docx .xlsx .pdf .txt, by content)
 * npm run --silent import -- --dry-run --json FILE   print the parse, write nothing
 */
async function main(argv: string[]) {
  const dryRun = argv.includes("--dry-run");
  const json = argv.includes("--json");
  const files = argv.filter((a) => !a.startsWith("--"));
  if (files.length === 0) {
    console.error("用法 usage: npm run import -- [--dry-run] [--json] FILE...");
    return 2;
  }
  const store = dryRun ? null : openSqlite({ path: defaultDatabasePath() });
  let failed = 0;
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      console.error(`无法读取文件 ${file}（${(err as NodeJS.ErrnoException).code ?? String(err)}）：请检查路径和读取权限 / cannot read ${file}`);
      failed++;
      continue;
    }
    let plan: Awaited<ReturnType<typeof readPlanFile>>;
    try {
      // A 台账 workbook sent back is read cell by cell; any other file is parsed.
      plan = await readPlanFile(bytes, basename(file));
    } catch (err) {
      // A file that is not a readable plan stores nothing; say why in words an admin can act on.
      if (!isImportError(err)) throw err;
      console.error(`无法导入 ${basename(file)}：${err.userText} / cannot import (${err.code})`);
      failed++;
      continue;
    }
    if (plan.tasks.length === 0) {
      console.error(`未识别出任何措施 no measures found in ${file}（请检查是否为实施方案/任务分解表）`);
    }
    if (dryRun) {
      if (json) console.log(JSON.stringify(toDryRunJson(plan, basename(file)), null, 1));
      else console.log(`${basename(file)}: ${plan.title} — ${plan.tasks.length} 项措施, ${plan.tasks.reduce((a, t) => a + t.indicators.length, 0)} 个指标`);
      continue;
    }
    const r = await importDocument(store!.db, plan, { fileName: basename(file), hash: await sha256Hex(bytes), clock: systemClock });
    console.log(
      `${basename(file)}: ${r.unchanged ? "未变化 unchanged" : r.created ? "已导入 imported" : "已更新 updated"} — ` +
        `${r.tasks} 项措施, ${r.units} 个单位, ${r.indicators} 个指标` + (plan.warnings.length ? `, ${plan.warnings.length} 条警告` : ""),
    );
    for (const w of plan.warnings) console.log(`  警告: ${w}`);
  }
  await store?.close();
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`导入失败 import failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
