import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";

/**
 * A fresh clone of the checkout under test, as a newcomer or an operator gets it, for tests that run the README's
 * npm commands in a temporary folder. The install is a hard-link copy of this checkout's node_modules (no network in
 * tests), so nothing in it may be written in place.
 */
export const repo = process.cwd();
export const isGitCheckout = spawnSync("git", ["-C", repo, "rev-parse", "--git-dir"], { stdio: "ignore" }).status === 0;

/** A newcomer's shell: none of this machine's bot settings, nor npm's variables from the `npm test` running us. */
export const shell = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(LARK_|npm_)/.test(k) && !["DUBAN_LOCAL", "PORT", "DATABASE_PATH", "DATABASE_URL", "HOST"].includes(k)),
) as Record<string, string>;

export const git = (dir: string, ...args: string[]) => spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });

/** Clones the checkout into `clone`; its uncommitted work goes in as one commit, so `git status` starts clean. */
export function freshClone(clone: string): void {
  const cloned = spawnSync("git", ["clone", "--quiet", repo, clone], { encoding: "utf8" });
  if (cloned.status !== 0) throw new Error(`git clone failed: ${cloned.stderr}`);
  const changed = spawnSync("git", ["-C", repo, "ls-files", "-z", "-m", "-o", "--exclude-standard"], { encoding: "utf8" }).stdout.split("\0").filter(Boolean);
  for (const f of changed) {
    if (existsSync(join(repo, f))) {
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      cpSync(join(repo, f), join(clone, f));
    } else rmSync(join(clone, f), { force: true });
  }
  if (changed.length) {
    git(clone, "add", "-A");
    const committed = git(clone, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-qm", "working tree under test");
    if (committed.status !== 0) throw new Error(`git commit failed: ${committed.stderr}`);
  }
  const installed = spawnSync("cp", ["-al", join(repo, "node_modules"), join(clone, "node_modules")], { encoding: "utf8" });
  if (installed.status !== 0) throw new Error(`cp -al node_modules failed: ${installed.stderr}`);
}

export interface Started {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  /** The exit code once stdout and stderr are closed. */
  exited: Promise<number | null>;
}

/** `npm run --silent <args>` in `cwd`, its output collected; `children` collects it for the cleanup. */
export function startNpm(cwd: string, args: string[], env: Record<string, string>, children: ChildProcess[]): Started {
  const child = spawn("npm", ["run", "--silent", ...args], { cwd, env: { ...shell, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, out, exited };
}

export async function until(check: () => boolean, what: string, ms = 90_000): Promise<void> {
  for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

/** Holds 127.0.0.1:port unless something else already does; either way the port is busy. */
export function occupy(port: number): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(null) : reject(err)));
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
