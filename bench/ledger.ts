/**
 * 台账 export speed on a synthetic store: load (store → ledger) and build (.xlsx bytes), in rows per second, for an
 * export at the chat cap (10,000 rows) and a large one for `npm run export` (2,000 measures × 5,000 indicators ×
 * 50,000 reports).
 */
import { CHAT_ROW_CAP, buildWorkbook, ledgerRows, loadLedger } from "../src/ledger/index.js";
import { openSqlite } from "../src/store/sqlite.js";

async function run(measures: number, indicators: number, reports: number) {
  const { db, raw, close } = openSqlite({ path: ":memory:", synchronous: "NORMAL" });
  raw.transaction(() => {
    raw.prepare("INSERT INTO plans (id, jurisdiction, title, issuer, source_file, source_hash, imported_at) VALUES (1, '重庆市渝中区', '渝中区进一步完善医疗卫生服务体系实施方案', '重庆市渝中区人民政府办公室', 'f.txt', 'h', '2026-11-01T00:00:00Z')").run();
    const u = raw.prepare("INSERT INTO units (id, jurisdiction, name, kind) VALUES (?, '重庆市渝中区', ?, 'unit')");
    for (let k = 1; k <= 50; k++) u.run(k, `区第${k}委员会办公室`);
    const t = raw.prepare("INSERT INTO tasks (id, plan_id, code, ordinal, text, deadline) VALUES (?, 1, ?, ?, ?, '2027-12-31')");
    const tu = raw.prepare("INSERT INTO task_units (task_id, unit_id, role, ordinal, printed_name) VALUES (?, ?, ?, ?, 'x')");
    for (let k = 1; k <= measures; k++) {
      t.run(k, String(k), k, `推进优质医疗资源扩容和区域均衡布局，完善分级诊疗体系，提升基层医疗卫生服务能力（第${k}项）`);
      tu.run(k, (k % 50) + 1, "lead", 1);
      tu.run(k, ((k + 7) % 50) + 1, "support", 2);
    }
    const i = raw.prepare("INSERT INTO indicators (id, task_id, ordinal, key, name, unit_of_measure, cmp, target, target_year, baseline, baseline_year, quote, period) VALUES (?, ?, ?, ?, ?, '%', '>=', 85, 2027, 60, 2023, '到2027年，全区家庭医生签约服务重点人群覆盖率达到85%以上', 'quarter')");
    for (let k = 1; k <= indicators; k++) i.run(k, ((k - 1) % measures) + 1, k, `k${k}`, `家庭医生签约服务重点人群覆盖率${k}`);
    const r = raw.prepare("INSERT INTO reports (indicator_id, unit_id, period, value, reporter_open_id, reported_at, note) VALUES (?, ?, ?, ?, 'ou_demo_reporter', ?, ?)");
    const periods = ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"];
    for (let k = 0; k < reports; k++) {
      const ind = (k % indicators) + 1;
      r.run(ind, (ind % 50) + 1, periods[Math.floor(k / indicators) % periods.length], 50 + (k % 40), "2026-11-20T02:00:00Z", k % 10 === 0 ? "按季度汇总" : null);
    }
  })();
  const now = new Date("2026-11-30T01:00:00Z");
  let t0 = performance.now();
  const l = await loadLedger(db, {}, now);
  const loadMs = performance.now() - t0;
  t0 = performance.now();
  const bytes = await buildWorkbook(l);
  const buildMs = performance.now() - t0;
  const rows = ledgerRows(l);
  console.log(
    `  ${rows.toLocaleString("en-US")} rows (${measures} measures, ${indicators} indicators, ${reports} reports): load ${loadMs.toFixed(0)} ms, ` +
      `build ${buildMs.toFixed(0)} ms → ${Math.round(rows / ((loadMs + buildMs) / 1000)).toLocaleString("en-US")} rows/s; ${(bytes.length / 1024).toFixed(0)} KB`,
  );
  await close();
}

console.log("ledger bench (台账 export):");
await run(200, 300, 300); // warm-up: module and JIT start-up are not export cost
await run(1000, 2000, CHAT_ROW_CAP - 3000);
await run(2000, 5000, 50_000);
