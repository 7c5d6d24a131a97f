import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import { loadConfig, reminderSettingsOf } from "../src/config.js";
import { unitTasks } from "../src/domain/tasks.js";
import { renderCard } from "../src/local/render.js";
import { CN_HOLIDAYS, expandDates } from "../src/reminders/holidays-cn.js";
import { mayRemind } from "../src/reminders/plan.js";
import { enqueueReminders } from "../src/reminders/send.js";
import type { Unit } from "../src/store/schema.js";
import type { startTestServer } from "./support/events.js";
import type { OpenPlatform } from "./support/open-platform.js";
import { cardOf } from "./support/chat.js";
import { startYuzhongBot } from "./support/yuzhong-bot.js";

/**
 * Reminders and China's official holiday arrangement for 2026 (国务院办公厅, 2025-11-04): 国庆节 1–7 October is off,
 * Saturday 10 October is a working day (调休上班). 10:00 China time is 02:00Z.
 */
let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;
let fixture: Awaited<ReturnType<typeof startYuzhongBot>>;
let unit: Unit;
const UNIT_CHAT = "oc_calendar_unit";
const clock = fixedClock("2026-09-28T02:00:00Z");
const settings = reminderSettingsOf(loadConfig({ DUBAN_LOCAL: "1" }));

beforeAll(async () => {
  fixture = await startYuzhongBot(clock, { id: UNIT_CHAT, boundAt: "2026-09-01" });
  ({ lark, bot, unit } = fixture);
});
afterAll(() => fixture.close());

/** Runs the reminder job at a China-time instant and returns what reached the unit's chat, rendered. */
async function remindAt(iso: string, s = settings) {
  clock.set(iso);
  const before = lark.sends().length;
  const run = await enqueueReminders(bot.services, clock.now(), s);
  await bot.worker!.kick();
  const mine = lark.sends().slice(before).filter((r) => r.body?.receive_id === UNIT_CHAT);
  return { run, text: mine.map((r) => renderCard(cardOf(r))).join("\n") };
}

describe("the 2026 arrangement", () => {
  it("has the notice's days: 33 days off, and six 调休 working days, each on a weekend", () => {
    const y = CN_HOLIDAYS[2026]!;
    expect(expandDates(y.off.join(","))).toHaveLength(3 + 9 + 3 + 5 + 3 + 3 + 7);
    for (const d of y.work) expect([0, 6]).toContain(new Date(`${d}T00:00:00Z`).getUTCDay());
  });

  it("keeps reminders quiet on a holiday weekday and lets them go on a 调休 Saturday; REMINDER_HOLIDAYS still wins", () => {
    expect(mayRemind(new Date("2026-10-01T02:00:00Z"), settings)).toBe(false); // Thu, 国庆节
    expect(mayRemind(new Date("2026-02-23T02:00:00Z"), settings)).toBe(false); // Mon, 春节
    expect(mayRemind(new Date("2026-10-10T02:00:00Z"), settings)).toBe(true); // Sat, 调休上班
    expect(mayRemind(new Date("2026-09-20T02:00:00Z"), settings)).toBe(true); // Sun, 调休上班
    expect(mayRemind(new Date("2026-10-17T02:00:00Z"), settings)).toBe(false); // an ordinary Saturday
    const local = reminderSettingsOf(loadConfig({ DUBAN_LOCAL: "1", REMINDER_HOLIDAYS: "2026-10-10,2026-11-12" }));
    expect(mayRemind(new Date("2026-10-10T02:00:00Z"), local)).toBe(false); // listed: off although 调休
    expect(mayRemind(new Date("2026-11-12T02:00:00Z"), local)).toBe(false); // listed: an added day off
    const plain = reminderSettingsOf(loadConfig({ DUBAN_LOCAL: "1", REMINDER_CALENDAR: "none" }));
    expect(mayRemind(new Date("2026-10-01T02:00:00Z"), plain)).toBe(true);
    expect(mayRemind(new Date("2026-10-10T02:00:00Z"), plain)).toBe(false);
  });
});

describe("reminders around 国庆节 2026", () => {
  let task: { id: number; code: string };
  it("sends nothing during the holiday, and the third quarter's overdue notice on the first working day after it", async () => {
    // A measure due Saturday 17 October: 7 days before is the 调休 Saturday 10th, 1 day before Friday 16th.
    task = (await unitTasks(bot.store.db, unit, clock.now())).find((t) => t.role === "lead" && t.indicators.length > 0)!;
    await bot.store.db.updateTable("tasks").set({ deadline: "2026-10-17", deadline_text: "2026年10月17日前" }).where("id", "=", task.id).execute();
    for (const day of ["01", "02", "05", "07"]) {
      const { run, text } = await remindAt(`2026-10-${day}T02:00:00Z`);
      expect(run).toMatchObject({ open: false, queued: 0 });
      expect(text).toBe("");
    }
    const { run, text } = await remindAt("2026-10-08T02:00:00Z");
    expect(run.open).toBe(true);
    expect(text).toContain("2026年第3季度已于 9月30日 截止，尚未填报，已逾期");
    expect(text).not.toContain(`措施 ${task.code}`);
  });

  it("reminds of the measure on the 调休 Saturday, 7 days before, and not on the Friday before it", async () => {
    expect((await remindAt("2026-10-09T02:00:00Z")).text).not.toContain(`措施 ${task.code}`);
    const sat = await remindAt("2026-10-10T02:00:00Z");
    expect(sat.run.open).toBe(true);
    expect(sat.text).toContain(`措施 ${task.code}`);
    expect(sat.text).toContain("还有 7 天");
    const fri = await remindAt("2026-10-16T02:00:00Z");
    expect(fri.text).toContain("还有 1 天");
  });
});
