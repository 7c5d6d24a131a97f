/**
 * The city-sized store the load benchmarks share: 20 plans, 2,000 measures, 200 units (one member each),
 * 5,000 indicators, `reports` reported values over five quarters, and the signed-less event bodies that drive it.
 */
import BetterSqlite3 from "better-sqlite3";
import { migrateSqlite } from "../src/store/sqlite.js";

export const CITY = { PLANS: 20, TASKS: 2000, UNITS: 200, INDICATORS: 5000, REPORTS: 100_000 };

/** `scale` multiplies units, measures, indicators and (by default) reports; plans stay 20. */
export function buildCityStore(path: string, o: { reports?: number; scale?: number } = {}) {
  const scale = o.scale ?? 1;
  const { PLANS } = CITY;
  const TASKS = CITY.TASKS * scale, UNITS = CITY.UNITS * scale, INDICATORS = CITY.INDICATORS * scale;
  const reports = o.reports ?? CITY.REPORTS * scale;
  const raw = new BetterSqlite3(path);
  raw.pragma("journal_mode = WAL");
  migrateSqlite(raw);
  raw.transaction(() => {
    for (let p = 1; p <= PLANS; p++) raw.prepare("INSERT INTO plans (id, jurisdiction, title, source_file, source_hash, imported_at) VALUES (?, 'J', ?, 'f', 'h', 'x')").run(p, `方案${p}`);
    for (let u = 1; u <= UNITS; u++) {
      raw.prepare("INSERT INTO units (id, jurisdiction, name, kind) VALUES (?, 'J', ?, 'unit')").run(u, `单位${u}`);
      raw.prepare("INSERT INTO members (open_id, unit_id, role, created_at) VALUES (?, ?, 'member', 'x')").run(`ou_u${u}`, u);
    }
    for (let t = 1; t <= TASKS; t++) {
      raw.prepare("INSERT INTO tasks (id, plan_id, code, ordinal, text) VALUES (?, ?, ?, ?, '措施正文')").run(t, ((t - 1) % PLANS) + 1, String(t), t);
      raw.prepare("INSERT INTO task_units (task_id, unit_id, role, ordinal, printed_name) VALUES (?, ?, 'lead', 1, 'x')").run(t, ((t - 1) % UNITS) + 1);
      raw.prepare("INSERT INTO task_units (task_id, unit_id, role, ordinal, printed_name) VALUES (?, ?, 'support', 2, 'x')").run(t, (t % UNITS) + 1);
    }
    const ins = raw.prepare("INSERT INTO indicators (id, task_id, ordinal, key, name, unit_of_measure, cmp, target, target_year, quote, period) VALUES (?, ?, 1, ?, ?, '%', '>=', 80, 2027, '原文', 'quarter')");
    for (let i = 1; i <= INDICATORS; i++) ins.run(i, ((i - 1) % TASKS) + 1, `k${i}`, `指标${i}`);
    const rep = raw.prepare("INSERT INTO reports (indicator_id, unit_id, period, value, reporter_open_id, reported_at) VALUES (?, ?, ?, ?, 'ou', '2026-11-01T00:00:00Z')");
    // Older history first: at 1M reports most rows are years back, as in a store used for a decade.
    const periods = ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"];
    const perPeriod = Math.ceil(reports / periods.length);
    for (let r = 0; r < reports; r++) {
      const ind = (r % INDICATORS) + 1;
      const slot = Math.min(periods.length - 1, Math.floor(r / perPeriod));
      const period = slot === 0 && reports > CITY.REPORTS * scale ? `${2000 + (r % 25)}Q${(r % 4) + 1}` : periods[slot]!;
      rep.run(ind, ((((ind - 1) % TASKS) + 1 - 1) % UNITS) + 1, period, 50 + (r % 40));
    }
  })();
  raw.close();
  return { PLANS, TASKS, UNITS, INDICATORS, REPORTS: reports };
}

/** A `/我的任务` message event from the member of unit k mod 200 (local mode: unsigned, loopback). */
export function myTasksEvent(k: number, prefix: string) {
  const u = (k % CITY.UNITS) + 1;
  return { schema: "2.0", header: { event_id: `${prefix}_${k}`, event_type: "im.message.receive_v1" }, event: { sender: { sender_id: { open_id: `ou_u${u}` }, sender_type: "user" }, message: { message_id: `om_${prefix}_${k}`, chat_id: `oc_${u}`, chat_type: "p2p", message_type: "text", content: JSON.stringify({ text: "/我的任务" }) } } };
}

/** A card report callback from the lead unit of indicator k. */
export function reportEvent(k: number, prefix: string) {
  const { INDICATORS, TASKS, UNITS } = CITY;
  const ind = (k % INDICATORS) + 1, task = ((ind - 1) % TASKS) + 1, u = ((task - 1) % UNITS) + 1;
  return { schema: "2.0", header: { event_id: `${prefix}_${k}`, event_type: "card.action.trigger" }, event: { operator: { open_id: `ou_u${u}` }, token: "c", action: { value: { action: "submit_report", unit_id: u, issued_at: new Date().toISOString(), nonce: `${prefix}${k}` }, form_value: { indicator: String(ind), value: String(60 + (k % 30)), period: "2026Q4" } }, context: { open_message_id: "om", open_chat_id: "oc" } } };
}
