import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindRequestCard, unitCandidatesCard } from "../cards/bind.js";
import { supervisorDigestCard, unitDigestCard } from "../cards/digest.js";
import { esc } from "../cards/elements.js";
import { myTasksCard, myTasksPageCount } from "../cards/my-tasks.js";
import { progressCard, taskProgressCard } from "../cards/progress.js";
import { reportFormCard } from "../cards/report-form.js";
import { reportReceiptCard, supportReportedCard } from "../cards/report-receipt.js";
import type { Card } from "../cards/types.js";
import { fixedClock } from "../src/clock.js";
import { buildSupervisorDigest, buildUnitDigest } from "../src/digest/build.js";
import { unitProgress } from "../src/domain/progress.js";
import { unitTasks } from "../src/domain/tasks.js";
import { renderCard } from "../src/local/render.js";
import { seedStore } from "../src/node/seed.js";
import { demoOpenIdForUnit } from "../src/store/unit-names.js";
import { openSqlite, type SqliteStore } from "../src/store/sqlite.js";
import { lintCard } from "./support/card-lint.js";
import { larkEnv, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";
import { cardOf, chatWith } from "./support/chat.js";

/**
 * Finding 7: text that did not come from our code (unit names from documents, task titles, units of measure, typed
 * input, notes) must show as typed and never act as Feishu card markdown: no link, no @all, no bold, no heading.
 */
const LINK = "[点我](https://evil.example/x)";
const AT_ALL = "<at id=all></at>";
const HOSTILE = `${LINK}${AT_ALL}**x**<font color='red'>红</font>&#60;b&#62;:OK:`;
const BLOCKS = "\n# 标题\n- 列表\n1. 有序\n    缩进\n|a|b|\n---\n> 引用";

/** Characters Feishu's markdown can read as syntax, as they appear raw (not as entities) in a markdown string. */
const SYNTAX = /[&<>[\]()*_~`#+\-!|\\/:"'$={}]/g;
const raw = (md: string) => md.replace(/&#\d+;/g, "").match(SYNTAX) ?? [];
/** What escaped forms of HOSTILE's characters look like ([ ] * & :), should one reach a plain_text. */
const ESCAPED = /&#(91|93|42|38|58);/;
const decode = (md: string) => md.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));

function texts(node: unknown, out: { md: string[]; plain: string[] } = { md: [], plain: [] }) {
  if (Array.isArray(node)) node.forEach((x) => texts(x, out));
  else if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (o.tag === "markdown" && typeof o.content === "string") out.md.push(o.content);
    if (o.tag === "plain_text" && typeof o.content === "string") out.plain.push(o.content);
    for (const [k, v] of Object.entries(o)) if (k !== "value" && k !== "rows") texts(v, out);
  }
  return out;
}

describe("the escaping function", () => {
  it("turns every markdown special character into an entity that shows as itself", () => {
    for (const s of [HOSTILE, `a${BLOCKS}`, "2026-12-31 完成 50% (含) | 1+1=2 \\ $x$ {y} \"q\" 'q' ~~s~~ `c` _u_ !img"]) {
      const e = esc(s);
      expect(raw(e), s).toEqual([]);
      expect(e).not.toContain("\\");
      expect(decode(e).replace(/\n\s+/g, "\n")).toBe(s.replace(/\n\s+/g, "\n"));
    }
  });

  it("leaves no line that starts a block: heading, list, numbered list, quote, rule, table or indented code", () => {
    const lines = esc(`1. 第一${BLOCKS}\r\n  2. 第二\u2028    代码`).split("\n");
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) expect(l, l).not.toMatch(/^(\s|#|-|\+|\*|>|\||\d+\.|\d+\))/);
  });

  it("keeps ordinary Chinese text, digits and full-width punctuation unchanged", () => {
    const s = "渝中区卫健委（牵头）：签约率达到75%以上，2027年底前完成。";
    expect(esc(s)).toBe(s);
  });

  it("leaves a leading number as typed unless it would read as a list number", () => {
    for (const s of ["50%（2026年第4季度） →", "2027年底前完成", "12.5%", "1.5倍", "1801", "3)"]) {
      expect(esc(s)).toBe(s.replace(/\)/g, "&#41;"));
    }
    for (const [s, shown] of [["1. 第一", "1&#46; 第一"], ["2.", "2&#46;"], ["10.\u3000十", "10&#46;\u3000十"], ["3.\t三", "3&#46;\t三"]]) {
      expect(esc(s!)).toBe(shown);
    }
  });
});

describe("cards built from hostile document text carry it inertly (finding 7)", () => {
  let plainStore: SqliteStore;
  let hostileStore: SqliteStore;
  const now = new Date("2026-11-30T01:00:00Z");
  beforeAll(async () => {
    plainStore = openSqlite({ path: ":memory:" });
    hostileStore = openSqlite({ path: ":memory:" });
    for (const s of [plainStore, hostileStore]) await seedStore(s.db, "seeds", fixedClock(now.toISOString()), { demoRoster: true });
    // Everything a document (or the ledger workbook) can name: units, places, plans, measures, indicators, units of measure.
    const db = hostileStore.db;
    const { sql } = await import("kysely");
    await db.updateTable("units").set({ name: sql`name || ${HOSTILE}` }).execute();
    await db.updateTable("plans").set({ title: sql`title || ${HOSTILE}` }).execute();
    await db.updateTable("tasks").set({ title: sql`case when title is null then null else title || ${HOSTILE} end`, text: sql`${HOSTILE + BLOCKS} || text` }).execute();
    await db.updateTable("indicators").set({ name: sql`${HOSTILE} || name`, unit_of_measure: sql`coalesce(unit_of_measure, '') || '[%](https://evil.example)'` }).execute();
  });
  afterAll(() => {
    plainStore.close();
    hostileStore.close();
  });

  /** Every card the seeds produce, by name, built the same way from one store. */
  async function allCards(store: SqliteStore): Promise<Map<string, Card[]>> {
    const out = new Map<string, Card[]>();
    const add = (what: string, c: Card) => out.set(what, [...(out.get(what) ?? []), c]);
    const units = await store.db.selectFrom("units").selectAll().orderBy("id").execute();
    for (const u of units) {
      const tasks = await unitTasks(store.db, u, now);
      const pages = myTasksPageCount({ unit: u, tasks, today: "2026-11-30" });
      for (let page = 1; page <= pages; page++) add(`${u.id} 我的任务`, myTasksCard({ unit: u, tasks, page, today: "2026-11-30" }));
      const indicators = tasks.flatMap((t) => t.indicators);
      if (indicators.length) {
        const i = indicators.at(-1)!;
        add(`${u.id} 上报`, reportFormCard({ unit: u, indicators, selectedId: i.id, issuedAt: now.toISOString(), nonce: "n", note: `这是 ${u.name} 的指标` }));
        add(`${u.id} 回执`, reportReceiptCard({ unit: u, indicator: i, value: 1.5, period: i.currentPeriod, note: HOSTILE + BLOCKS, reporterOpenId: "ou_a", reportedAt: now.toISOString(), duplicate: false, enteredStatus: i.status }));
        add(`${u.id} 配合`, supportReportedCard({ leadUnit: u, reporterUnit: u, indicator: i, value: 2, period: i.currentPeriod }));
      }
      if (u.kind === "unit") add(`${u.id} 周报`, unitDigestCard(await buildUnitDigest(store.db, u, now)));
      for (const t of tasks) add(`${u.id} [${t.code}] 进度`, taskProgressCard(t));
      add(`${u.id} 绑定申请`, bindRequestCard({ requestId: 1, openId: "ou_x", unit: u, requestedAt: now.toISOString(), departments: [{ id: "od_1", name: u.name }] }));
    }
    const unitRows = units.filter((u) => u.kind === "unit");
    add("单位候选", unitCandidatesCard({ typed: unitRows[0]!.name, units: unitRows.slice(0, 5), action: "bind_pick", mode: "self" }));
    const { rows, behind } = await unitProgress(store.db, unitRows, now);
    add("全部单位进度", progressCard({ title: "全部单位进度", rows, behind, scopeNote: "督办视图" }));
    add("督办周报", supervisorDigestCard(await buildSupervisorDigest(store.db, now)));
    return out;
  }

  it("adds no markdown syntax to any card: links, @all, emphasis and tags stay text, and the cards stay valid", async () => {
    const plain = await allCards(plainStore);
    const hostile = await allCards(hostileStore);
    expect([...hostile.keys()]).toEqual([...plain.keys()]);
    let shown = 0;
    for (const [what, cards] of hostile) {
      const h = cards.flatMap((c) => texts(c).md);
      const p = plain.get(what)!.flatMap((c) => texts(c).md);
      // The same syntax characters as the cards built from clean text: everything the document added is an entity.
      // Longer text can take one more page, so page furniture (repeated per page) is counted once.
      const body = (mds: string[]) => [...new Set(mds.filter((m) => !/^第 \d+\/\d+ 页/.test(m)))].join("\n");
      expect(raw(body(h)).sort().join(""), what).toBe(raw(body(p)).sort().join(""));
      for (const m of h) {
        expect(m, what).not.toMatch(/\]\(|<at id=all|<font color='red'>红/);
        if (decode(m).includes(LINK + AT_ALL)) shown++;
      }
      // Plain text (titles, buttons, options) is shown as typed: the escaping must not leak into it.
      for (const t of cards.flatMap((c) => texts(c).plain)) expect(t, what).not.toMatch(ESCAPED);
      for (const c of cards) expect(lintCard(c).problems, what).toEqual([]);
    }
    // The hostile text is visible to the reader, as typed.
    expect(shown).toBeGreaterThan(50);
  });
});

describe("typed input echoed in answers is inert (finding 7)", () => {
  let lark: OpenPlatform;
  let bot: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    lark = await startOpenPlatform();
    bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", demoRoster: true });
  });
  afterAll(async () => {
    await bot.close();
    await lark.close();
  });

  const say = chatWith(() => bot, () => lark).say;

  it("/绑定, /指标, /进度, /上报 and an unknown command with a link and <at id=all> answer without either", async () => {
    const member = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
    for (const text of [`/绑定 ${HOSTILE}`, `/指标 ${HOSTILE}`, `/进度 ${HOSTILE}`, `/上报 ${HOSTILE}`, `/${HOSTILE}`]) {
      const replies = await say(member, text);
      expect(replies.length, text).toBeGreaterThan(0);
      for (const r of replies) {
        const { md, plain } = texts(cardOf(r));
        for (const m of md) expect(m, text).not.toMatch(/\]\(|<at id=all|\*\*x\*\*|<font color='red'>红/);
        for (const t of plain) expect(t, text).not.toMatch(ESCAPED);
      }
      // The reader sees what was typed (where the answer quotes it).
      const shown = replies.map((r) => renderCard(cardOf(r))).join("\n");
      if (!text.startsWith("/上报")) expect(shown, text).toContain(LINK.slice(0, 8));
    }
  });
});
