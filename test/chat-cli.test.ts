import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCli, UsageError } from "../src/cli/args.js";
import { cardsFor, click, resolveSpeaker, say, type ChatTarget } from "../src/local/chat-client.js";
import { renderCallbackResponse } from "../src/local/render.js";
import { findRunningBot, removeRuntimeFile, runtimeFilePath, writeRuntimeFile } from "../src/node/runtime-file.js";
import { localEnv, startTestServer } from "./support/events.js";

/** The chat client as a newcomer uses it against a running bot: finding it, waiting for it, clicking older cards. */
describe("the chat client against a running bot", () => {
  let bot: Awaited<ReturnType<typeof startTestServer>>;
  let target: ChatTarget;
  beforeAll(async () => {
    bot = await startTestServer({ env: localEnv, seedsDir: "seeds" });
    // No idle(): the client sees the bot only through HTTP and the database, as `npm run chat` does.
    target = { url: bot.url, db: bot.store.db };
  });
  afterAll(() => bot.close());

  it("finds the bot through the runtime file next to its database, and not once that process is gone", async () => {
    const dbPath = bot.store.label;
    expect(await findRunningBot(dbPath)).toBeNull();
    writeRuntimeFile({ url: bot.url, pid: process.pid, databasePath: dbPath, mode: "local", startedAt: new Date().toISOString() });
    expect(runtimeFilePath(dbPath)).toBe(`${bot.dir}/duban.runtime.json`);
    expect((await findRunningBot(dbPath))?.url).toBe(bot.url);
    // A file left by a crashed bot (its pid no longer runs) is ignored: the client then runs the bot in-process.
    writeRuntimeFile({ url: bot.url, pid: 2 ** 22 + 12345, databasePath: dbPath, mode: "local", startedAt: new Date().toISOString() });
    expect(await findRunningBot(dbPath)).toBeNull();
    removeRuntimeFile(dbPath, 2 ** 22 + 12345);
    expect(await findRunningBot(dbPath)).toBeNull();
  });

  it("returns the bot's answer once the bot has finished the event, refusals included", async () => {
    const stranger = await resolveSpeaker(bot.store.db, "ou_nobody_here");
    const answers = await say(target, stranger, "/我的任务");
    expect(answers).toHaveLength(1);
    expect(JSON.stringify(answers[0]!.card)).toContain("绑定");
  });

  it("an admin approves an older request by --card after a newer one arrived; without --card the newest is taken", async () => {
    const first = await resolveSpeaker(bot.store.db, "ou_first_newcomer");
    const second = await resolveSpeaker(bot.store.db, "ou_second_newcomer");
    await say(target, first, "/绑定 渝中区卫健委");
    await say(target, second, "/绑定 渝中区卫健委");
    const admin = await resolveSpeaker(bot.store.db, "ou_demo_admin");
    const shown = await cardsFor(bot.store.db, admin.openId);
    expect(shown.length).toBeGreaterThanOrEqual(2);
    expect(shown.slice(0, 2).map((c) => c.buttons.map((b) => b.label))).toEqual([
      ["同意", "拒绝"],
      ["同意", "拒绝"],
    ]);
    const older = await click(target, admin, "同意", {}, { card: 2 });
    expect(renderCallbackResponse(older.response)).toContain("已同意");
    const members = await bot.store.db.selectFrom("members").select("open_id").where("open_id", "in", [first.openId, second.openId]).execute();
    expect(members.map((m) => m.open_id)).toEqual([first.openId]);
    // The approved card now shows the result (no buttons); the remaining request is the newest card with 同意.
    const newest = await click(target, admin, "拒绝", {});
    expect(renderCallbackResponse(newest.response)).toContain("已拒绝");
    // Both requests are decided: no card with buttons is left to click.
    expect(await cardsFor(bot.store.db, admin.openId)).toEqual([]);
    await expect(click(target, admin, "同意", {})).rejects.toThrow(/还没有可以点击的卡片/);
  });
});

describe("command-line options", () => {
  const spec = { command: "npm run x --", summary: "demo", examples: ["npm run x -- --week 2026-W49"], options: { week: { type: "string", arg: "2026-W49", help: "哪一周" } } } as const;

  it("refuses an unknown option with the usage text, and prints the usage for --help", () => {
    expect(() => parseCli(spec, ["--bogus"])).toThrow(UsageError);
    expect(() => parseCli(spec, ["--bogus"])).toThrow(/未知选项 --bogus[\s\S]*--week 2026-W49\s+哪一周/);
    expect(() => parseCli(spec, ["--week"])).toThrow(/--week/);
    expect(parseCli(spec, ["--week", "2026-W49"])?.values.week).toBe("2026-W49");
  });

  // Every npm script an operator types, by the file package.json runs for it.
  const clis: [string, string][] = [
    ["digest", "src/digest/cli.ts"],
    ["export", "src/ledger/cli.ts"],
    ["import", "src/importer/cli.ts"],
    ["chat", "src/local/chat-cli.ts"],
    ["roster", "scripts/roster.ts"],
    ["backup", "scripts/backup.ts"],
    ["restore", "scripts/restore.ts"],
    ["migrate-store", "scripts/migrate-store.ts"],
    ["d1:seed", "scripts/d1-seed.ts"],
  ];
  it("every CLI (digest, export, import, chat, roster, backup, restore, migrate-store, d1:seed) refuses --bogus with its usage and exit 2", async () => {
    const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
    const dir = mkdtempSync(join(tmpdir(), "duban-cli-"));
    try {
      const results = await Promise.all(
        clis.map(async ([name, file]) => {
          expect(scripts[name], `package.json script ${name}`).toContain(file);
          const r = await runNode(["--import", "tsx", file, "--bogus", "x"], { ...process.env, DATABASE_PATH: join(dir, "duban.sqlite") });
          return { name, ...r };
        }),
      );
      for (const r of results) {
        expect(r.code, `${r.name}: ${r.stderr}`).toBe(2);
        expect(r.stderr, r.name).toContain("未知选项 --bogus（unknown option）");
        expect(r.stderr, r.name).toContain(`用法 usage: npm run ${r.name} --`);
        expect(r.stderr, r.name).not.toMatch(/\n\s+at |TypeError|ERR_PARSE_ARGS/);
        // The chat client's usage names where a message goes, not only who sends it.
        if (r.name === "chat") expect(r.stderr).toMatch(/--chat <chat_id>[\s\S]*--group/);
      }
      // Nothing was touched: a refused command opens no database.
      expect(existsSync(join(dir, "duban.sqlite"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("`npm run digest -- --status --week 2026-49` refuses the malformed week instead of printing zeros", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/digest/cli.ts", "--status", "--week", "2026-49"], { encoding: "utf8", env: { ...process.env, DATABASE_PATH: ":memory:" } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("2026-W49");
    expect(r.stdout).not.toContain("已发送");
  }, 60_000);
});

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
