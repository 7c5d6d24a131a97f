import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";
import { APP, larkEnv, messageEvent, signedRequest, startTestServer } from "./support/events.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";

// Everything the bot logs during this run, as the operator's log file would hold it (one JSON line per entry).
const lines: string[] = [];
// No secrets handed to the masking logger: what is checked is what the bot itself puts in its log lines.
const log = createLogger([], (l) => lines.push(l));

let lark: OpenPlatform;
let bot: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  lark = await startOpenPlatform();
  bot = await startTestServer({ env: larkEnv(lark.url), seedsDir: "seeds", log });
});
afterAll(async () => {
  await bot.close();
  await lark.close();
});

type Line = { level: string; msg: string; target?: string; lark?: { http_status?: number; code?: number; msg?: string; log_id?: string } };
const failedSendLogs = () => lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg.startsWith("send failed") && l.lark);

describe("a send Lark refuses", () => {
  it("is logged with Lark's code, msg and log_id, and the whole log holds no token, secret or Bearer header", async () => {
    // A group the bot was removed from (230002), and a command whose reply Lark rejects with a 400 error body.
    lark.failNext(1, { status: 400, code: 230002 }, (r) => r.body?.receive_id === "oc_removed");
    await bot.services.messenger.sendToChat("oc_removed", { schema: "2.0", body: { elements: [{ tag: "markdown", content: "周报" }] } });
    await bot.worker!.kick();
    const ev = messageEvent({ text: "/帮助", openId: "ou_log_reader" });
    lark.failNext(1, { status: 400, code: 230001 }, (r) => r.path.includes(ev.event.message.message_id));
    expect((await bot.post(undefined, await signedRequest(ev))).status).toBe(200);
    await bot.idle();
    await bot.worker!.kick();

    // What the stand-in answered, as Feishu does: the log id in X-Tt-Logid and in the error body.
    const failed = failedSendLogs();
    const removed = failed.find((l) => l.lark!.code === 230002)?.lark;
    const reply = failed.find((l) => l.lark!.code === 230001)?.lark;
    for (const l of [removed, reply]) {
      expect(l).toBeDefined();
      expect(l!.http_status).toBe(400);
      expect(l!.msg).toBe("stand-in failure");
      expect(String(l!.log_id)).toMatch(/^20261205\d{6}STANDIN$/);
    }
    expect(removed!.log_id).not.toBe(reply!.log_id);
    expect(failed.find((l) => l.lark!.code === 230002)!.target).toBe("oc_removed");
    // The stored error an admin reads in the outbox says the same, log_id included.
    const row = await bot.store.db.selectFrom("outbox").selectAll().where("target", "=", "oc_removed").executeTakeFirstOrThrow();
    expect(row.status).toBe("failed");
    expect(row.last_error).toContain("code 230002");
    expect(row.last_error).toContain(String(removed!.log_id));

    const all = lines.join("\n");
    if (process.env.SHOW_LOG) console.log(all);
    expect(all).not.toContain("[object "); // SDK errors were logged as "[object Object]"
    expect(all).not.toMatch(/\bt-standin\b|\bt-[A-Za-z0-9]{6,}/); // the tenant_access_token the stand-in issued
    expect(all).not.toContain("Bearer");
    expect(all).not.toMatch(/authorization/i);
    for (const secret of [APP.secret, APP.key, APP.token]) expect(all).not.toContain(secret);
  });
});
