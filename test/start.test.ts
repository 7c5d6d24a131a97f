import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { larkEnv, messageEvent, signedRequest } from "./support/events.js";
import { freePort, freshClone, git, isGitCheckout, startNpm, until } from "./support/fresh-clone.js";
import { startOpenPlatform, type OpenPlatform } from "./support/open-platform.js";

/**
 * Starting the bot without a Lark app says how to configure it; `npm start`, the production start, compiles to dist/
 * and runs the compiled JS, refuses a busy port with the fix, and stops on SIGTERM sent to the npm process. The
 * README's first ten minutes (`npm run local`, chat, backup, restore) are in test/first-ten-minutes.test.ts.
 */
const dir = mkdtempSync(join(tmpdir(), "duban-start-"));
const dbPath = join(dir, "duban.sqlite");
const port = 20000 + Math.floor(Math.random() * 20000);
// The parent shell may have LARK_* or DUBAN_LOCAL set; each case sets exactly what it is about.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LARK_") && k !== "DUBAN_LOCAL"));
const children: ChildProcess[] = [];
let lark: OpenPlatform | null = null;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await lark?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: Record<string, string>) {
  const child = spawn(cmd, args, { env: { ...baseEnv, DATABASE_PATH: dbPath, PORT: String(port), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out, exited };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("starting and stopping", () => {
  it("without LARK_* and without DUBAN_LOCAL refuses to start and says how to configure or try the demo", async () => {
    const { out, exited } = run(process.execPath, ["--import", "tsx", "src/main.ts"], {});
    expect(await exited).toBe(1);
    expect(out.stderr).toContain("LARK_APP_ID");
    expect(out.stderr).toContain("npm run local");
    expect(out.stdout).not.toContain("listening");
  }, 60_000);

  it.skipIf(!isGitCheckout)("npm start on a fresh clone: builds dist/, node runs the compiled bot, a second start on its port gets the fix, SIGTERM to npm stops it after the reply in flight", async () => {
    lark = await startOpenPlatform();
    const clone = join(dir, "duban");
    freshClone(clone);
    const botPort = await freePort();
    // Lark mode listens on every interface by default; a test keeps to loopback.
    // READ_WORKERS=1 whatever the cores: the test checks that a worker starts from the compiled JS.
    const env = { ...larkEnv(lark.url), PORT: String(botPort), HOST: "127.0.0.1", READ_WORKERS: "1" };

    const bot = startNpm(clone, ["start"], env, children);
    await until(() => bot.out.stdout.includes("listening on") || bot.child.exitCode !== null, "npm start to listen", 300_000);
    expect(bot.out.stdout, bot.out.stderr).toContain(`listening on port ${botPort} (lark mode`);
    expect(existsSync(join(clone, "dist", "src", "main.js"))).toBe(true);
    // The process serving is node on the compiled JS (no tsx, no shell left between npm and the bot).
    await until(() => existsSync(join(clone, "data", "duban.runtime.json")), "data/duban.runtime.json", 10_000); // written just after the line
    const runtime = JSON.parse(readFileSync(join(clone, "data", "duban.runtime.json"), "utf8")) as { pid: number; url: string; mode: string };
    expect(runtime).toMatchObject({ url: `http://127.0.0.1:${botPort}`, mode: "lark" });
    const cmdline = readFileSync(`/proc/${runtime.pid}/cmdline`, "utf8").split("\0");
    expect(cmdline).toContain("dist/src/main.js");
    expect(cmdline.join(" ")).not.toContain("tsx");
    // The read workers (src/node/read-pool.ts) start from the compiled JS as well.
    await until(() => bot.out.stdout.includes("read workers ready"), "the read workers to start", 60_000);

    const health = await fetch(`http://127.0.0.1:${botPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, mode: "lark", database: "ok" });

    // A second `npm start` in the same folder: the build has nothing to do, the port is the first bot's.
    const second = startNpm(clone, ["start"], env, children);
    expect(await second.exited).toBe(1);
    expect(second.out.stderr).toContain(`端口 ${botPort} 已被占用`);
    expect(second.out.stderr).toContain(`PORT=${botPort + 1} npm start`);
    expect(second.out.stderr).not.toMatch(/Unhandled 'error' event|\n\s+at /);
    expect(alive(runtime.pid)).toBe(true);

    // A signed Lark event, then SIGTERM to the npm process at once: the reply still reaches Lark, then a clean exit.
    const ev = messageEvent({ text: "/帮助", openId: "ou_operator" });
    const res = await fetch(`http://127.0.0.1:${botPort}/webhook/event`, await signedRequest(ev));
    expect(res.status).toBe(200);
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
    expect(bot.out.stdout).toContain("已停止");
    const reply = lark.sends().filter((r) => r.path === `/open-apis/im/v1/messages/${ev.event.message.message_id}/reply`);
    expect(reply).toHaveLength(1);
    expect(JSON.stringify(JSON.parse(reply[0]!.body.content as string))).toContain("使用帮助");
    expect(alive(runtime.pid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${botPort}/healthz`)).rejects.toThrow();
    expect(existsSync(join(clone, "data", "duban.runtime.json"))).toBe(false);
    // dist/ and data/ are ignored: the build leaves the clone clean.
    expect(git(clone, "status", "--porcelain").stdout).toBe("");
  }, 600_000);
});
