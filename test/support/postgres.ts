import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/**
 * A real PostgreSQL server for the tests: a fresh cluster in a temporary folder, on a random loopback port,
 * trust authentication, stopped and removed at the end. It uses the machine's PostgreSQL binaries (Debian's
 * `postgresql` package, which .ci/run installs when they are missing). PostgreSQL refuses to run as root, so
 * under root the server runs as the `postgres` system user.
 */
export interface TestPostgres {
  url: string;
  /** A fresh, empty database on this server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function postgresBinDir(): string | null {
  const fromPath = (process.env["PATH"] ?? "").split(":").find((d) => d && existsSync(join(d, "initdb")) && existsSync(join(d, "postgres")));
  if (fromPath) return fromPath;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : null;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL binaries not found: install Debian's postgresql package (.ci/run does this)");
  const dir = mkdtempSync(join(tmpdir(), "duban-pg-"));
  chmodSync(dir, 0o777);
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => (asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]] : [join(bin, cmd), args]) as [string, string[]];
  const data = join(dir, "data");
  execFileSync(...run("initdb", ["-D", data, "-A", "trust", "-U", "duban", "--no-sync", "-E", "UTF8", "--locale=C"]), { stdio: "ignore" });
  const port = 30000 + Math.floor(Math.random() * 20000);
  const [cmd, args] = run("postgres", ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"]);
  const server: ChildProcess = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  server.stderr!.on("data", (d: Buffer) => (log += d.toString()).length > 20_000 && (log = log.slice(-10_000)));
  const url = `postgres://duban@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.end();
      break;
    } catch (err) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`PostgreSQL did not start: ${String(err)}\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`CREATE DATABASE ${name.replace(/[^a-z0-9_]/g, "")}`);
      await c.end();
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      // Through pg_ctl: under root the child is runuser, which does not pass a signal on to the server.
      const exited = new Promise((r) => (server.exitCode !== null ? r(null) : server.once("exit", r)));
      execFileSync(...run("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]), { stdio: "ignore" });
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
