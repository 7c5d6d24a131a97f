import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { messageEvent } from "./support/events.js";

/**
 * Starting and stopping the bot as a newcomer and an operator do it: `npm start` without a Lark app says how to
 * configure, `npm run local` on a busy port says how to fix it, and SIGTERM to the npm process finishes the message
 * being answered before exiting.
 */
const dir = mkdtempSync(join(tmpdir(), "duban-start-"));
const dbPath = join(dir, "duban.sqlite");
const port = 20000 + Math.floor(Math.random() * 20000);
// The parent shell may have LARK_* or DUBAN_LOCAL set; each case sets exactly what it is about.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LARK_") && k !== "DUBAN_LOCAL"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
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

async function until(check: () => boolean, what: string, ms = 120_000) {
  for (const start = Date.now(); !check(); ) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("starting and stopping", () => {
  it("without LARK_* and without DUBAN_LOCAL refuses to start and says how to configure or try the demo", async () => {
    const { out, exited } = run(process.execPath, ["--import", "tsx", "src/main.ts"], {});
    expect(await exited).toBe(1);
    expect(out.stderr).toContain("LARK_APP_ID");
    expect(out.stderr).toContain("npm run local");
    expect(out.stdout).not.toContain("listening");
  }, 60_000);

  it("on a busy port names the port and the fix; SIGTERM to `npm run local` answers the message in flight, then exits", async () => {
    const first = run("npm", ["run", "--silent", "local"], {});
    await until(() => first.out.stdout.includes("listening on"), "npm run local to listen");
    expect(first.out.stdout).toContain(`http://127.0.0.1:${port}`);

    const second = run(process.execPath, ["--import", "tsx", "src/main.ts"], { DUBAN_LOCAL: "1" });
    expect(await second.exited).toBe(1);
    expect(second.out.stderr).toContain(`端口 ${port} 已被占用`);
    expect(second.out.stderr).toContain(`PORT=${port + 1} npm run local`);
    expect(second.out.stderr).not.toMatch(/Unhandled 'error' event|\n\s+at /);

    // The README's next step: the chat client finds this bot through data/duban.runtime.json, not through PORT.
    expect(existsSync(join(dir, "duban.runtime.json"))).toBe(true);
    const chat = run("npm", ["run", "--silent", "chat", "--", "--as", "渝中区卫健委", "/我的任务"], { PORT: "1" });
    expect(await chat.exited).toBe(0);
    expect(chat.out.stdout).toContain(`发送到运行中的机器人 http://127.0.0.1:${port}`);
    expect(chat.out.stdout).toContain("区卫健委（重庆市渝中区）");
    expect(first.out.stdout).toContain("本地发件箱 local outbox ← ");

    // The webhook answers at once and works on afterwards: the reply must still be written after SIGTERM.
    const res = await fetch(`http://127.0.0.1:${port}/webhook/event`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(messageEvent({ text: "/帮助", openId: "ou_demo_admin", messageId: "om_in_flight_at_sigterm" })),
    });
    expect(res.status).toBe(200);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.out.stdout).toContain("已停止");
    expect(existsSync(join(dir, "duban.runtime.json"))).toBe(false);
    const db = new BetterSqlite3(dbPath, { readonly: true });
    const replies = db.prepare("SELECT kind FROM outbox WHERE kind = 'reply' AND target = 'om_in_flight_at_sigterm'").all();
    db.close();
    expect(replies).toHaveLength(1);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 180_000);
});
