import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * A fresh clone must install with `npm ci` and stay clean under `npm install`: the lockfile agrees with package.json,
 * every entry comes from the public registry with an integrity hash (no local paths, no "extraneous" leftovers of
 * someone's node_modules), and every package with an install script is explicitly allowed or denied. The npm on
 * this machine checks it too: `npm install` and `npm ci` in a copy of package.json and the lockfile, offline.
 */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  extraneous?: boolean;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { lockfileVersion: number; packages: Record<string, LockEntry> };
const entries = Object.entries(lock.packages).filter(([path]) => path !== "");

describe("package-lock.json", () => {
  it("records exactly the dependencies package.json pins, and each is installed at that version", () => {
    expect(lock.lockfileVersion).toBe(3);
    const root = lock.packages[""]!;
    expect(root.dependencies).toEqual(pkg.dependencies);
    expect(root.devDependencies).toEqual(pkg.devDependencies);
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(version, `${name} is pinned exactly`).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
      expect(lock.packages[`node_modules/${name}`]?.version, `${name} in the lockfile`).toBe(version);
    }
  });

  it("has only registry entries with integrity hashes, no registry URLs and no extraneous leftovers", () => {
    // .npmrc sets omit-lockfile-registry-resolved: a `resolved` URL would come back as a diff on every other mirror.
    expect(readFileSync(".npmrc", "utf8")).toMatch(/^omit-lockfile-registry-resolved=true$/m);
    const bad = entries
      .filter(([, e]) => !e.link)
      .filter(([, e]) => e.extraneous || e.resolved !== undefined || !e.integrity?.startsWith("sha512-") || !e.version)
      .map(([path]) => path);
    expect(bad).toEqual([]);
  });

  it("allows or denies every install script explicitly (npm 11 allowScripts)", () => {
    const withScripts = [...new Set(entries.filter(([, e]) => e.hasInstallScript).map(([path]) => path.replace(/^.*node_modules\//, "")))].sort();
    const decided = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/@[^@/]+$/, ""));
    expect(withScripts.filter((name) => !decided.includes(name))).toEqual([]);
    // The native SQLite driver is compiled at install; it is the one script the bot needs.
    expect(pkg.allowScripts?.["better-sqlite3"]).toBe(true);
  });
});

// npm's own variables from the `npm test` running us (npm_config_*) would change what the npm below does.
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const npm = (args: string[], cwd: string) => spawnSync("npm", args, { cwd, env: npmEnv, encoding: "utf8" });
// `npm install-scripts` came with allowScripts (npm 11); an older npm neither reads allowScripts nor can list.
const npmHasAllowScripts = npm(["install-scripts", "--help"], process.cwd()).status === 0;
const dir = mkdtempSync(join(tmpdir(), "duban-lockfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`npm ${npm(["--version"], process.cwd()).stdout.trim()} on this machine`, () => {
  it("npm install leaves package-lock.json byte for byte as committed, and npm ci takes it as it is", () => {
    for (const f of ["package.json", "package-lock.json", ".npmrc"]) copyFileSync(f, join(dir, f));
    // Offline with an empty cache: a lockfile missing anything would need the registry and fails (ENOTCACHED) instead
    // of being completed quietly. --package-lock-only resolves the same tree a full install saves, without the copy.
    const flags = ["--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--cache", join(dir, "cache")];
    const install = npm(["install", "--package-lock-only", ...flags], dir);
    expect(install.status, install.stderr).toBe(0);
    expect(readFileSync(join(dir, "package-lock.json"), "utf8")).toBe(readFileSync("package-lock.json", "utf8"));
    // npm ci refuses a lockfile out of step with package.json; --dry-run plans the whole install and writes nothing.
    const ci = npm(["ci", "--dry-run", ...flags], dir);
    expect(ci.status, ci.stderr).toBe(0);
    expect(ci.stdout).toMatch(/added \d+ packages/);
    expect(readFileSync(join(dir, "package-lock.json"), "utf8")).toBe(readFileSync("package-lock.json", "utf8"));
  });

  it.skipIf(!npmHasAllowScripts)("npm install-scripts finds no installed package whose install script allowScripts leaves undecided", () => {
    // What npm 11 warns about after an install ("install scripts not yet covered by allowScripts"), asked directly.
    const listed = npm(["install-scripts", "ls", "--json"], process.cwd());
    expect(listed.status, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ allowScripts: [] });
  });
});
