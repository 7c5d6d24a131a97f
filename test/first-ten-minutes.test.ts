import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { messageEvent } from "./support/events.js";

/**
 * The README's first ten minutes, literally, on a fresh clone in a temporary folder: install, `npm run local` on a
 * busy default port, then on a free one, `npm run chat` (a message, the cards list, a click on an older card),
 * `npm run digest` delivered to the bot's terminal, `npm run backup` while it runs, SIGTERM to the npm process with
 * a message in flight, a restart that keeps the data, and `npm run restore` into a new folder. The install is a
 * hard-link copy of this checkout's node_modules (no network in tests); the clone stays clean throughout.
 */
const repo = process.cwd();
const isGitCheckout = spawnSync("git", ["-C", repo, "rev-parse", "--git-dir"], { stdio: "ignore" }).status === 0;
const root = mkdtempSync(join(tmpdir(), "duban-first-ten-"));
const clone = join(root, "duban");
// A newcomer's shell: none of this machine's bot settings, nor npm's variables from the `npm test` running us.
const shell = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(LARK_|npm_)/.test(k) && !["DUBAN_LOCAL", "PORT", "DATABASE_PATH", "DATABASE_URL", "HOST"].includes(k)),
) as Record<string, string>;
const children: ChildProcess[] = [];
let holder: Server | null = null;
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  holder?.close();
  rmSync(root, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn("npm", ["run", "--silent", ...args], { cwd: clone, env: { ...shell, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, out, exited };
}

/** Runs an npm script to its end; a non-zero exit fails with what it printed. */
async function npm(args: string[], env: Record<string, string> = {}, expectCode = 0): Promise<string> {
  const r = start(args, env);
  const code = await r.exited;
  expect(code, `npm run ${args.join(" ")}\n${r.out.stdout}\n${r.out.stderr}`).toBe(expectCode);
  return expectCode === 0 ? r.out.stdout : r.out.stderr;
}

async function until(check: () => boolean, what: string, ms = 90_000) {
  for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

const git = (...args: string[]) => spawnSync("git", ["-C", clone, ...args], { encoding: "utf8" });

/** Holds 127.0.0.1:port unless something else already does; either way the port is busy. */
function occupy(port: number): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(null) : reject(err)));
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!isGitCheckout)("the first ten minutes on a fresh clone", () => {
  it("install, busy port, local bot, chat and cards, digest, backup, SIGTERM, restart, restore into a new folder", async () => {
    // Where a failure or a timeout happened, and how long each step took on this machine.
    const t0 = Date.now();
    const steps: string[] = [];
    const step = (name: string) => void steps.push(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${name}`);
    onTestFailed(() => console.error(`steps reached:\n${steps.join("\n")}`));
    step("clone and install");
    // --- clone and install. Uncommitted work of the checkout under test goes into the clone as one commit.
    expect(spawnSync("git", ["clone", "--quiet", repo, clone]).status).toBe(0);
    const changed = spawnSync("git", ["-C", repo, "ls-files", "-z", "-m", "-o", "--exclude-standard"], { encoding: "utf8" }).stdout.split("\0").filter(Boolean);
    for (const f of changed) {
      if (existsSync(join(repo, f))) {
        mkdirSync(dirname(join(clone, f)), { recursive: true });
        cpSync(join(repo, f), join(clone, f));
      } else rmSync(join(clone, f), { force: true });
    }
    if (changed.length) {
      git("add", "-A");
      expect(git("-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-qm", "working tree under test").status).toBe(0);
    }
    expect(spawnSync("cp", ["-al", join(repo, "node_modules"), join(clone, "node_modules")]).status).toBe(0);
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
    holder?.close();
    holder = null;

    step("local bot and chat");

    // --- on a free port. The chat client finds it through data/duban.runtime.json, not through PORT.
    const port = await freePort();
    const bot = start(["local"], { PORT: String(port) });
    await until(() => bot.out.stdout.includes("listening on"), "npm run local to listen");
    expect(bot.out.stdout).toContain(`http://127.0.0.1:${port}`);
    expect(existsSync(join(clone, "data", "duban.runtime.json"))).toBe(true);

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
    const mine = await npm(["chat", "--", "--as", "ou_newcomer", "/我的任务"]);
    expect(mine).toContain("区卫健委（重庆市渝中区）");

    step("digest");

    // --- `npm run digest` in a second terminal: the local bot prints it in its log, --status counts it sent.
    expect(await npm(["digest"])).toContain("本地模式的机器人");
    await until(() => /本地发件箱 local outbox ← send_chat oc_demo_supervisor: 【督办周报/.test(bot.out.stdout), "the digest in the bot's log", 20_000);
    expect(await npm(["digest", "--", "--status"])).toMatch(/已发送 1，待发送 0，失败 0/);

    step("backup");

    // --- backup while it runs.
    const backupFile = join(root, "backup.sqlite");
    expect(await npm(["backup", "--", "--to", backupFile])).toContain("完整性 ok");

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

    step("restart");

    // --- restart on the same data: the binding made before the stop is still there.
    const again = start(["local"], { PORT: String(port) });
    await until(() => again.out.stdout.includes("listening on"), "the restarted bot to listen");
    const after = await npm(["chat", "--", "--as", "ou_newcomer", "/我的任务"]);
    expect(after.split("\n")[0]).toContain(`发送到运行中的机器人 http://127.0.0.1:${port}`);
    expect(after).toContain("区卫健委（重庆市渝中区）");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);

    step("restore");

    // --- restore the backup into a new folder and use it there (no bot running: the chat client runs one in-process).
    const restored = join(root, "restored", "duban.sqlite");
    expect(await npm(["restore", "--", backupFile], { DATABASE_PATH: restored })).toContain(`已恢复 restored → ${restored}`);
    const there = await npm(["chat", "--", "--as", "ou_newcomer", "/我的任务"], { DATABASE_PATH: restored });
    expect(there.split("\n")[0]).toContain("没有运行中的机器人");
    expect(there).toContain("区卫健委（重庆市渝中区）");

    // Nothing of all this shows up as a change in the clone.
    expect(git("status", "--porcelain").stdout).toBe("");
    step("done");
    if (process.env["FIRST_TEN_STEPS"]) console.log(steps.join("\n"));
  }, 600_000);
});
