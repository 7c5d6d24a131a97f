import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Starting the bot without a Lark app says how to configure it. A busy port, SIGTERM to the npm process with a
 * message in flight and the restart are in test/first-ten-minutes.test.ts, on a fresh clone as a newcomer does them.
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

describe("starting and stopping", () => {
  it("without LARK_* and without DUBAN_LOCAL refuses to start and says how to configure or try the demo", async () => {
    const { out, exited } = run(process.execPath, ["--import", "tsx", "src/main.ts"], {});
    expect(await exited).toBe(1);
    expect(out.stderr).toContain("LARK_APP_ID");
    expect(out.stderr).toContain("npm run local");
    expect(out.stdout).not.toContain("listening");
  }, 60_000);
});
