/**
 * The real built bin (`specsync start`, the packaged standalone web server) in a fresh workspace,
 * and raw HTTP requests to it with exactly the headers given (node:http lets a test forge Host,
 * Origin and cookies, and pick the local address it connects from).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { changeFiles, freePort, tempRepo, writeTree } from "@specsync/api/testing";

const BIN = path.resolve(fileURLToPath(import.meta.url), "../../../server/dist/bin/specsync.js");
export const TITLE = "Add full-text search";

export type Raw = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** One request with exactly these headers (Host included). */
export function raw(
  port: number,
  opts: {
    path: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Connect from this loopback address (127.0.0.2, …): another client to the server. */
    from?: string;
  },
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        localAddress: opts.from,
        method: opts.method ?? "GET",
        path: opts.path,
        headers: { host: `127.0.0.1:${port}`, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer for ${opts.path}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

export type Started = {
  root: string;
  port: number;
  webPort: number;
  project: string;
  stop: () => Promise<void>;
};

/** `specsync start` in a fresh workspace (in-memory PGlite), with only the settings given. */
export async function start(extra: Record<string, string>): Promise<Started> {
  const root = tempRepo();
  writeTree(root, changeFiles("add-search", TITLE));
  const [port, webPort] = [await freePort(), await freePort()];
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(SPECSYNC_|DATABASE_URL$|INIT_CWD$|PORT$|WEB_PORT$|npm_)/i.test(k),
    ),
  );
  const child: ChildProcess = spawn(process.execPath, [BIN, "start", "--no-gitignore"], {
    cwd: root,
    env: {
      ...env,
      PORT: String(port),
      WEB_PORT: String(webPort),
      SPECSYNC_DATA_DIR: "memory://",
      NEXT_TELEMETRY_DISABLED: "1",
      ...extra,
    } as unknown as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode !== null) return;
    if (child.pid) process.kill(-child.pid, "SIGTERM");
    await exited;
  };
  const deadline = Date.now() + 120_000;
  // Ready when the change is in the database (the API lists it) and the web port answers.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`specsync start exited:\n${out}`);
    try {
      const api = await fetch(`http://127.0.0.1:${port}/trpc/specs.list`, {
        headers: { authorization: `Bearer ${extra.SPECSYNC_TOKEN ?? ""}` },
      });
      const web = await raw(webPort, { path: "/sign-in" });
      if (api.ok && (await api.text()).includes("add-search") && web.status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`specsync start not ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { root, port, webPort, project: path.basename(root), stop };
}
