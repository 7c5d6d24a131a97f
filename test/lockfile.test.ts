import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * A fresh clone must install with `npm ci` and stay clean under `npm install`: the lockfile agrees with package.json,
 * every entry comes from the public registry with an integrity hash (no local paths, no "extraneous" leftovers of
 * someone's node_modules), and every package with an install script is explicitly allowed or denied.
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
