import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
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
  // A port the kernel just handed out as free. A random one from 30000–50000 once met an outgoing connection's local
  // port (Linux takes those from 32768–60999) and the server exited with "Address already in use": then another port.
  let server: ChildProcess;
  let url = "";
  let log = "";
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const [cmd, args] = run("postgres", ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"]);
    server = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    log = "";
    server.stderr!.on("data", (d: Buffer) => (log += d.toString()).length > 20_000 && (log = log.slice(-10_000)));
    url = `postgres://duban@127.0.0.1:${port}/postgres`;
    const started = await accepting(url, server);
    if (started === true) break;
    if (!/Address already in use/.test(log) || attempt === 5) throw new Error(`PostgreSQL did not start: ${String(started)}\n${log}`);
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** True once the server takes connections; the last error if it exited or did not within 60 s. */
async function accepting(url: string, server: ChildProcess): Promise<true | unknown> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.end();
      return true;
    } catch (err) {
      if (server.exitCode !== null || Date.now() > deadline) return err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
