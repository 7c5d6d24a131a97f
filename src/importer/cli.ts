import { parseCli, runCli, usage, UsageError, type CliSpec, type OptionSpec } from "../cli/args.js";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { systemClock } from "../clock.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { toDryRunJson } from "./json.js";
import { readPlanFile } from "../intake/read.js";
import { asRevisionOf, findRevisedPlan, parsePlanId, type PlanChoice } from "../intake/revises.js";
import { isImportError } from "./index.js";
import { importDocument, sha256Hex } from "./store.js";

/**
 * npm run import -- FILE...                 parse and store into DATABASE_PATH (.docx .xlsx .pdf .txt, by content)
 * npm run --silent import -- --dry-run --json FILE   print the parse, write nothing
 * npm run import -- --revises N FILE       store FILE as a revision of stored plan N (whatever its title says)
 */
const spec = {
  command: "npm run import --",
  positionals: "文件 FILE...",
  summary: "导入实施方案 / 任务分解表（.docx .xlsx .pdf .txt）到 DATABASE_PATH (import plans into the store)",
  options: {
    "dry-run": { type: "boolean", help: "只解析并打印结果，不写入数据库" },
    json: { type: "boolean", help: "和 --dry-run 一起：打印解析结果 JSON（评分脚本用）" },
    revises: { type: "string", arg: "<方案编号>", help: "把这一个文件作为已有方案的修订版导入（不按标题匹配）；方案名称和地区保持不变" },
  },
  examples: [
    "npm run import -- seeds/000_yuzhong-medical-service-system.txt",
    "npm run --silent import -- --dry-run --json 方案.docx",
    "npm run import -- --revises 6 方案（修订稿）.docx",
  ],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

async function main() {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  const dryRun = parsed.values["dry-run"] === true;
  const json = parsed.values.json === true;
  const files = parsed.positionals;
  if (files.length === 0) throw new UsageError(`缺少要导入的文件 no file given\n\n${usage(spec)}`);
  if (json && !dryRun) throw new UsageError("--json 只和 --dry-run 一起用，例如 npm run --silent import -- --dry-run --json 方案.docx");
  const revisesText = parsed.values.revises;
  let revisesId: number | null = null;
  if (revisesText !== undefined) {
    if (dryRun) throw new UsageError("--revises 不能和 --dry-run 一起用：--dry-run 不写入数据库");
    if (files.length !== 1) throw new UsageError(`--revises 只能跟一个文件（现为 ${files.length} 个）`);
    const id = parsePlanId(revisesText);
    if (!id.ok) throw new UsageError(`--revises：${id.message}`);
    revisesId = id.id;
  }
  const store = dryRun ? null : openSqlite({ path: defaultDatabasePath() });
  // The plan to revise is looked up before any file is read: an unknown number stores nothing.
  let revises: PlanChoice | null = null;
  if (revisesId !== null) {
    const found = await findRevisedPlan(store!.db, revisesId);
    if (!found.ok) {
      console.error(`--revises ${revisesId}：${found.message}`);
      await store!.close();
      return 1;
    }
    revises = found.plan;
  }
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
      console.error(isImportError(err) ? `无法导入 ${basename(file)}：${err.userText} / cannot import (${err.code})` : unexpectedFailure(basename(file), err));
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
    if (revises) plan = asRevisionOf(plan, revises);
    let r: Awaited<ReturnType<typeof importDocument>>;
    try {
      const hash = await sha256Hex(bytes);
      // One transaction per file: a failure half-way (a locked or damaged database, a bug) stores nothing of it.
      r = await store!.db.transaction().execute((trx) => importDocument(trx, plan, { fileName: basename(file), hash, clock: systemClock }));
    } catch (err) {
      // Name the file, so an operator importing a folder knows which ones to import again, and go on with the rest.
      console.error(unexpectedFailure(basename(file), err));
      failed++;
      continue;
    }
    console.log(
      `${basename(file)}: ${r.unchanged ? "未变化 unchanged" : r.created ? "已导入 imported" : "已更新 updated"}` +
        (revises ? `（作为方案 ${revises.id}《${revises.title}》的修订版 as a revision of plan ${revises.id}）` : "") + " — " +
        `${r.tasks} 项措施, ${r.units} 个单位, ${r.indicators} 个指标` + (plan.warnings.length ? `, ${plan.warnings.length} 条警告` : ""),
    );
    for (const w of plan.warnings) console.log(`  警告: ${w}`);
  }
  await store?.close();
  return failed ? 1 : 0;
}

/** A failure the importer has no words for: the file's name, what went wrong, and that nothing of it was stored. */
function unexpectedFailure(fileName: string, err: unknown): string {
  const detail = err instanceof Error ? err.message : String(err);
  return `无法导入 ${fileName}：导入时出错（${detail}），这个文件的内容没有写入；其他文件照常导入。请稍后重试，仍失败请把文件和这行信息发给维护人员 / cannot import (unexpected: ${detail})`;
}

runCli(main);
