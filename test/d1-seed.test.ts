import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `npm run d1:seed` keeps wrangler's output back (a JSON object per statement: thousands of lines) and prints three
 * lines: what it read, the migrations, what D1 now holds, counted by D1. Run for real — the importer, wrangler, a
 * local D1 in workerd — on one small plan (`--seeds`) into a local D1 in a temporary folder (`--persist-to`), so
 * it takes seconds instead of the minute the five seed plans take.
 */
const dir = mkdtempSync(join(tmpdir(), "duban-d1seed-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seed(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // npm's variables from the `npm test` running us would reach the npm below; wrangler's metrics would go to the network.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))), WRANGLER_SEND_METRICS: "false" };
  const child = spawn("npm", ["run", "--silent", "d1:seed", "--", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, ...out })));
}

describe("npm run d1:seed", () => {
  it("loads one small plan into a local D1 and prints three lines: what it read, the migrations, what D1 holds", async () => {
    const seeds = join(dir, "seeds");
    mkdirSync(seeds);
    copyFileSync("test/fixtures/files/plan-utf8-bom.txt", join(seeds, "plan.txt"));
    const d1 = join(dir, "d1");
    const r = await seed(["--local", "--seeds", seeds, "--persist-to", d1]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const migrations = readdirSync("migrations").filter((f) => f.endsWith(".sql")).length;
    expect(r.stdout.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^种子数据 seeds: 1 个方案, 2 项任务, 4 个单位, 2 个指标 → \d+ 条 INSERT OR IGNORE$/),
      `已应用 ${migrations} 个迁移 migrations applied`,
      "D1（本地 local）现有 now holds: 1 个方案, 2 项任务, 4 个单位, 2 个指标, 0 个成员, 0 个群（已有的行未重复写入）",
    ]);
    expect(existsSync(d1)).toBe(true);
  }, 300_000);

  it("refuses a plans folder that does not exist (exit 2), before any D1 is touched", async () => {
    const d1 = join(dir, "untouched");
    const r = await seed(["--local", "--seeds", join(dir, "no-such-folder"), "--persist-to", d1]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`找不到方案目录 ${join(dir, "no-such-folder")}`);
    expect(existsSync(d1)).toBe(false);
  }, 120_000);
});
