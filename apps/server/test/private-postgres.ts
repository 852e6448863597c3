import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { freePort } from "@specsync/api/testing";

/**
 * A throwaway PostgreSQL cluster of its own (initdb in a temp dir, its own port), so a test can
 * stop and restart the server without disturbing the shared one other test files use.
 */
export type PrivatePostgres = { url: string; stop(): void; start(): void; destroy(): void };

function binDir(): string | null {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const version = readdirSync(base).sort((a, b) => Number(b) - Number(a))[0];
  const dir = version ? path.join(base, version, "bin") : null;
  return dir && existsSync(path.join(dir, "initdb")) ? dir : null;
}

export const privatePostgresAvailable = binDir() !== null;

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  if (!bin) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  const dir = mkdtempSync(path.join(tmpdir(), "specsync-pg-"));
  const data = path.join(dir, "data");
  // initdb and postgres refuse to run as root: run them as the postgres user then.
  const asRoot = userInfo().uid === 0;
  if (asRoot)
    chownSync(
      dir,
      Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
      Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
    );
  const run = (cmd: string, args: string[]) =>
    execFileSync(
      asRoot ? "runuser" : path.join(bin, cmd),
      asRoot ? ["-u", "postgres", "--", path.join(bin, cmd), ...args] : args,
      { stdio: "pipe", timeout: 60_000 },
    );
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pg = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () =>
      void run("pg_ctl", [
        "-D",
        data,
        "-o",
        opts,
        "-l",
        path.join(dir, "log"),
        "-w",
        "-t",
        "30",
        "start",
      ]),
    stop: () => void run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"]),
    destroy: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
