/**
 * A bot on a fixed clock with the 渝中 plan and the demo roster, and a group chat bound to 区卫健委（重庆市渝中区）:
 * the setting of the reminder and 督办 tests. The rate limiter waits through `sleep`; on a fixed clock waiting is
 * moving the clock, so no test waits on the wall clock.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { fixedClock } from "../../src/clock.js";
import type { Unit } from "../../src/store/schema.js";
import { demoOpenIdForUnit } from "../../src/store/unit-names.js";
import { larkEnv, startTestServer } from "./events.js";
import { startOpenPlatform } from "./open-platform.js";

export async function startYuzhongBot(clock: ReturnType<typeof fixedClock>, chat: { id: string; boundAt: string }) {
  const seeds = mkdtempSync(join(tmpdir(), "duban-seeds-"));
  for (const f of ["000_yuzhong-medical-service-system.txt", "roster.json"]) copyFileSync(join("seeds", f), join(seeds, f));
  const lark = await startOpenPlatform();
  const bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: seeds, demoRoster: true, clock, sleep: async (ms) => clock.advance(ms) });
  /** The demo member of 区卫健委（重庆市渝中区）. */
  const member = await demoOpenIdForUnit("重庆市渝中区", "区卫健委");
  const m = await bot.store.db.selectFrom("members").select("unit_id").where("open_id", "=", member).executeTakeFirstOrThrow();
  const unit: Unit = await bot.store.db.selectFrom("units").selectAll().where("id", "=", m.unit_id!).executeTakeFirstOrThrow();
  await bot.store.db.insertInto("chats").values({ chat_id: chat.id, kind: "unit", unit_id: unit.id, name: "渝中卫健工作群", bound_by: "t", bound_at: chat.boundAt }).execute();
  return {
    lark,
    bot,
    member,
    unit,
    async close() {
      await bot.close();
      await lark.close();
      rmSync(seeds, { recursive: true, force: true });
    },
  };
}
