import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { systemClock } from "../clock.js";
import { lookupUnits, unitLabel } from "../domain/units-lookup.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { buildPlanWorkbook, exportLedger, type LedgerScope } from "./index.js";

/**
 * npm run export -- --out 台账.xlsx [--plan ID] [--unit 单位名]
 * npm run export -- --template 模板.xlsx   the blank plan-import template (filled in by hand, sent to the bot)
 * Writes the 台账 workbook of DATABASE_PATH: everything, one plan, or the measures one unit leads or supports.
 */
async function main() {
  const { values } = parseArgs({ options: { out: { type: "string" }, plan: { type: "string" }, unit: { type: "string" }, template: { type: "string" } } });
  if (values.template !== undefined) {
    writeFileSync(values.template, await buildPlanWorkbook(null));
    console.log(`已写出导入模板 template written: ${values.template}（填好后发给督办助手，或 npm run import -- ${values.template}）`);
    return 0;
  }
  if (!values.out) {
    console.error("用法 usage: npm run export -- --out 台账.xlsx [--plan 方案编号] [--unit 单位名]\n       npm run export -- --template 模板.xlsx");
    return 2;
  }
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

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`导出失败 export failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
