import { writeFileSync } from "node:fs";
import { parseCli, runCli, usage, UsageError, type CliSpec, type OptionSpec } from "../cli/args.js";
import { systemClock } from "../clock.js";
import { lookupUnits, unitLabel } from "../domain/units-lookup.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { buildPlanWorkbook, exportLedger, type LedgerScope } from "./index.js";

/**
 * npm run export -- --out 台账.xlsx [--plan ID] [--unit 单位名]
 * npm run export -- --template 模板.xlsx   the blank plan-import template (filled in by hand, sent to the bot)
 * Writes the 台账 workbook of DATABASE_PATH: everything, one plan, or the measures one unit leads or supports.
 */
const spec = {
  command: "npm run export --",
  summary: "导出台账工作簿（全部、某个方案或某个单位），或空白的方案导入模板 (write the 台账 workbook or the import template)",
  options: {
    out: { type: "string", arg: "<台账.xlsx>", help: "写到这个文件" },
    plan: { type: "string", arg: "<方案编号>", help: "只导出这个方案" },
    unit: { type: "string", arg: "<单位名>", help: "只导出这个单位牵头或配合的措施" },
    template: { type: "string", arg: "<模板.xlsx>", help: "写出空白的方案导入模板（填好后发给督办助手或 npm run import）" },
  },
  examples: ["npm run export -- --out 台账.xlsx", "npm run export -- --out 渝中卫健委.xlsx --unit 渝中区卫健委", "npm run export -- --template 模板.xlsx"],
} as const satisfies CliSpec<Record<string, OptionSpec>>;

async function main() {
  const parsed = parseCli(spec);
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.template !== undefined && values.out !== undefined) throw new UsageError("--template 和 --out 一次只能用一个");
  if (values.template !== undefined) {
    writeFileSync(values.template, await buildPlanWorkbook(null));
    console.log(`已写出导入模板 template written: ${values.template}（填好后发给督办助手，或 npm run import -- ${values.template}）`);
    return 0;
  }
  if (!values.out) throw new UsageError(`缺少 --out（写到哪个文件）或 --template\n\n${usage(spec)}`);
  const store = openSqlite({ path: defaultDatabasePath() });
  try {
    const scope: LedgerScope = {};
    if (values.plan !== undefined) {
      const id = Number(values.plan);
      const plan = Number.isInteger(id) ? await store.db.selectFrom("plans").select("id").where("id", "=", id).executeTakeFirst() : undefined;
      if (!plan) {
        const plans = await store.db.selectFrom("plans").select(["id", "title"]).orderBy("id").execute();
        console.error(`没有编号为 ${values.plan} 的方案 no plan ${values.plan}. 现有方案：\n${plans.map((p) => `  ${p.id}  ${p.title}`).join("\n")}`);
        return 1;
      }
      scope.planId = id;
    }
    if (values.unit !== undefined) {
      const units = (await lookupUnits(store.db, values.unit)).filter((u) => u.kind === "unit");
      if (units.length !== 1) {
        console.error(units.length === 0 ? `找不到单位“${values.unit}” unknown unit` : `“${values.unit}”对应多个单位，请加上地区：${units.map(unitLabel).join("、")}`);
        return 1;
      }
      scope.unit = units[0]!;
    }
    const t0 = performance.now();
    const f = await exportLedger(store.db, scope, systemClock.now());
    writeFileSync(values.out, f.bytes!);
    const l = f.ledger;
    console.log(
      `已导出 exported ${values.out}（${l.scopeLabel}）: ${l.plans.length} 个方案, ${l.measures.length} 项措施, ${l.indicators.length} 个指标, ` +
        `${l.retired.length} 个已停用指标, ${l.reports.length} 条填报记录; ${(f.bytes!.length / 1024).toFixed(0)} KB, ${(performance.now() - t0).toFixed(0)} ms`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

runCli(main);
