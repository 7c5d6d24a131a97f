import { type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { messageEvent } from "./support/events.js";
import { freePort, freshClone, git as gitIn, isGitCheckout, occupy, startNpm, until } from "./support/fresh-clone.js";

/**
 * The README's first ten minutes, literally, on a fresh clone in a temporary folder: install, `npm run local` on a
 * busy default port, then on a free one, `npm run chat` (a message, the cards list, a click on an older card),
 * `npm run digest` delivered to the bot's terminal, `npm run backup` while it runs, SIGTERM to the npm process with
 * a message in flight, a restart that keeps the data, and `npm run restore` into a new folder (beside the restart:
 * the two share nothing). The install is a hard-link copy of this checkout's node_modules (no network in tests);
 * the clone stays clean throughout.
 */
const root = mkdtempSync(join(tmpdir(), "duban-first-ten-"));
const clone = join(root, "duban");
const children: ChildProcess[] = [];
let holder: Server | null = null;
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  holder?.close();
  rmSync(root, { recursive: true, force: true });
});

const start = (args: string[], env: Record<string, string> = {}) => startNpm(clone, args, env, children);

/** Runs an npm script to its end; a non-zero exit fails with what it printed. */
async function npm(args: string[], env: Record<string, string> = {}, expectCode = 0): Promise<string> {
  const r = start(args, env);
  const code = await r.exited;
  expect(code, `npm run ${args.join(" ")}\n${r.out.stdout}\n${r.out.stderr}`).toBe(expectCode);
  return expectCode === 0 ? r.out.stdout : r.out.stderr;
}

const git = (...args: string[]) => gitIn(clone, ...args);

describe.skipIf(!isGitCheckout)("the first ten minutes on a fresh clone", () => {
  it("install, busy port, local bot, chat and cards, digest, backup, SIGTERM, restart, restore into a new folder", async () => {
    // Where a failure or a timeout happened, and how long each step took on this machine.
    const t0 = Date.now();
    const steps: string[] = [];
    const step = (name: string) => void steps.push(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${name}`);
    onTestFailed(() => console.error(`steps reached:\n${steps.join("\n")}`));
    step("clone and install");
    // --- clone and install. Uncommitted work of the checkout under test goes into the clone as one commit.
    freshClone(clone);
    expect(git("status", "--porcelain").stdout).toBe("");

    step("busy default port");

    // --- `npm run local` on the default port, taken by something else: the port and the fix, no stack trace.
    // Held by this test, so it stays busy throughout; if another process has it (it could let go at any moment),
    // a port this test holds stands in for it.
    holder = await occupy(3000);
    const taken = holder ? 3000 : await freePort();
    if (!holder) holder = await occupy(taken);
    const busy = start(["local"], taken === 3000 ? {} : { PORT: String(taken) });
    expect(await busy.exited).toBe(1);
    expect(busy.out.stderr).toContain(`端口 ${taken} 已被占用`);
    expect(busy.out.stderr).toContain(`PORT=${taken + 1} npm run local`);
    expect(busy.out.stderr).not.toMatch(/Unhandled 'error' event|\n\s+at /);
    // Refused before the store is opened: no database was created, migrated or seeded.
    expect(existsSync(join(clone, "data"))).toBe(false);
    holder?.close();
    holder = null;

    step("local bot and chat");

    // --- on a free port. The chat client finds it through data/duban.runtime.json, not through PORT.
    const port = await freePort();
    // READ_WORKERS=1 whatever the cores: the test checks that a worker starts under tsx.
    const bot = start(["local"], { PORT: String(port), READ_WORKERS: "1" });
    await until(() => bot.out.stdout.includes("listening on"), "npm run local to listen");
    expect(bot.out.stdout).toContain(`http://127.0.0.1:${port}`);
    // Written right after the "listening" line; a loaded machine may not have run that line yet when the test reads it.
    await until(() => existsSync(join(clone, "data", "duban.runtime.json")), "data/duban.runtime.json", 10_000);
    // The read workers (src/node/read-pool.ts) start under tsx too: their TypeScript is loaded like the bot's.
    await until(() => bot.out.stdout.includes("read workers ready"), "the read workers to start", 60_000);

    const asked = await npm(["chat", "--", "--as", "ou_newcomer", "/绑定 渝中区卫健委"]);
    expect(asked.split("\n")[0]).toContain(`发送到运行中的机器人 http://127.0.0.1:${port}`);
    expect(asked).toContain("已提交绑定申请");
    await npm(["chat", "--", "--as", "ou_latecomer", "/绑定 渝中区卫健委"]);
    const cards = await npm(["chat", "--", "--as", "ou_demo_admin", "--cards"]);
    expect(cards).toMatch(/--card 1 .*绑定申请待确认.*\[1 同意\] \[2 拒绝\]/);
    expect(cards).toMatch(/--card 2 .*绑定申请待确认/);
    // The older request (card 2) is the newcomer's: approving it binds the newcomer, not the latecomer.
    const approved = await npm(["chat", "--", "--as", "ou_demo_admin", "--click", "同意", "--card", "2"]);
    expect(approved).toContain("已同意 @ou_newcomer 绑定到 区卫健委（重庆市渝中区）");
    expect(approved).toContain("→ 同时发给 ou_newcomer");
    // The latecomer's request is now the only card with buttons; its second button (拒绝) by number.
    expect(await npm(["chat", "--", "--as", "ou_demo_admin", "--click", "2", "--card", "1"])).toContain("已拒绝");
    // The newcomer's /我的任务 shows the unit after the restart below (and in the restored copy).

    step("digest");

    // --- `npm run digest` in a second terminal: the local bot prints it in its log, --status counts it sent.
    expect(await npm(["digest"])).toContain("本地模式的机器人");
    await until(() => /本地发件箱 local outbox ← send_chat oc_demo_supervisor: 【督办周报/.test(bot.out.stdout), "the digest in the bot's log", 20_000);
    expect(await npm(["digest", "--", "--status"])).toMatch(/已发送 1，待发送 0，失败 0/);

    step("backup");

    // --- backup while it runs.
    const backupFile = join(root, "backup.sqlite");
    expect(await npm(["backup", "--", "--to", backupFile])).toContain("完整性 ok");

    // --- restore the backup into a new folder and use it there (no bot running on it: the chat client runs one
    // in-process). It shares nothing with the running bot, so it goes on beside the stop and the restart below.
    const restoring = (async () => {
      const restored = join(root, "restored", "duban.sqlite");
      expect(await npm(["restore", "--", backupFile], { DATABASE_PATH: restored })).toContain(`已恢复 restored → ${restored}`);
      const there = await npm(["chat", "--", "--as", "ou_newcomer", "/我的任务"], { DATABASE_PATH: restored });
      expect(there.split("\n")[0]).toContain("没有运行中的机器人");
      expect(there).toContain("区卫健委（重庆市渝中区）");
      step("restored");
    })();
    restoring.catch(() => {}); // awaited below; until then a failure must not count as unhandled

    step("SIGTERM");

    // --- SIGTERM to the npm process with a message in flight: answered, then a clean exit.
    const res = await fetch(`http://127.0.0.1:${port}/webhook/event`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(messageEvent({ text: "/帮助", openId: "ou_demo_admin", messageId: "om_in_flight_at_sigterm" })),
    });
    expect(res.status).toBe(200);
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
    expect(bot.out.stdout).toContain("已停止");
    expect(bot.out.stdout).toMatch(/本地发件箱 local outbox ← reply om_in_flight_at_sigterm/);
    expect(existsSync(join(clone, "data", "duban.runtime.json"))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    step("restart (the restore runs beside it)");

    // --- restart on the same data: the binding made before the stop is still there.
    const again = start(["local"], { PORT: String(port) });
    await until(() => again.out.stdout.includes("listening on"), "the restarted bot to listen");
    const after = await npm(["chat", "--", "--as", "ou_newcomer", "/我的任务"]);
    expect(after.split("\n")[0]).toContain(`发送到运行中的机器人 http://127.0.0.1:${port}`);
    expect(after).toContain("区卫健委（重庆市渝中区）");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);

    step("restarted");
    await restoring;

    // Nothing of all this shows up as a change in the clone.
    expect(git("status", "--porcelain").stdout).toBe("");
    step("done");
    if (process.env["FIRST_TEN_STEPS"]) console.log(steps.join("\n"));
  }, 600_000);
});
