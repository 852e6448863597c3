/**
 * `specsync list|show --json`: what `openspec list|show --json` prints, from specsync's database.
 * Loaded lazily by the CLI and itself loading as little as it can: a running server for the project
 * is asked over HTTP (it holds the answer, and an embedded PGlite admits one process only);
 * otherwise the database is read with raw queries (no drizzle, no migrations, no watcher/tRPC
 * code); only a database that does not know the project yet pays for the full services, to sync it
 * first.
 */
import type { CliResult, ShowType } from "@specsync/api/openspec-output";
import type { Env } from "../env";
import { processAlive, readServerFile, serverFilePath } from "../server-file";

export type OutputRequest = { command: "list"; specs: boolean } | { command: "show"; id: string | undefined; type: ShowType };

/**
 * The answer of the specsync server running for `root`; "none" when no live server is advertised,
 * "silent" when one is but did not answer.
 */
export async function askRunningServer(req: OutputRequest, root: string, token: string | undefined): Promise<CliResult | "none" | { silent: string }> {
  const advertised = readServerFile(root);
  if (!advertised || !processAlive(advertised.pid)) return "none";
  const silent = { silent: `a specsync server (pid ${advertised.pid}, ${advertised.url}) is advertised in ${serverFilePath(root)} but did not answer` };
  const q = new URLSearchParams({ root });
  if (req.command === "list") {
    if (req.specs) q.set("specs", "1");
  } else {
    if (req.id !== undefined) q.set("id", req.id);
    if (req.type) q.set("type", req.type);
  }
  try {
    const res = await getJson(`${advertised.url}/cli/v1/${req.command}?${q}`, token);
    if (res.status === 401) throw new TokenRefused(`the specsync server at ${advertised.url} wants a token: set SPECSYNC_TOKEN to the server's`);
    return res.status === 200 ? (JSON.parse(res.body) as CliResult) : silent;
  } catch (err) {
    if (err instanceof TokenRefused) throw err;
    return silent;
  }
}

class TokenRefused extends Error {}

/**
 * node:http rather than fetch: undici alone costs a one-shot command more than the whole answer.
 */
async function getJson(url: string, token: string | undefined): Promise<{ status: number; body: string }> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

async function fromDatabase(req: OutputRequest, root: string, env: Env): Promise<CliResult> {
  const { CliOutputService } = await import("@specsync/api/openspec-output");
  const run = (service: InstanceType<typeof CliOutputService>) => (req.command === "list" ? service.list(root, { specs: req.specs }) : service.show(root, req.id, req.type));
  const dataDir = env.SPECSYNC_DATA_DIR ?? "memory://";
  if (!dataDir.startsWith("memory://") || env.DATABASE_URL) {
    const [{ openQueryClient }, { lockDataDir }] = await Promise.all([import("@specsync/db/query-client"), import("../data-dir-lock")]);
    const release = env.DATABASE_URL ? () => {} : lockDataDir(dataDir, [root]);
    const client = await openQueryClient({ url: env.DATABASE_URL, dataDir }).catch((err) => {
      release();
      throw err;
    });
    try {
      const result = await run(new CliOutputService(client)).catch(() => null); // no tables yet, an older schema: the full path migrates
      if (result) return result;
    } finally {
      await client.close();
      release();
    }
  }
  // The database does not know this project (a first run, `SPECSYNC_DATA_DIR=memory://`): sync it
  // first, so the answer is the workspace's and never a silent empty list.
  const [{ openDatabase }, { createServices }] = await Promise.all([import("../database"), import("@specsync/api")]);
  const database = await openDatabase(env, []);
  try {
    const services = createServices(database, { allowedRoots: [root] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "manual");
    const result = await run(new CliOutputService(database));
    if (!result) throw new Error(`could not read ${root} into the database`);
    return result;
  } finally {
    await database.close();
  }
}

export async function openspecOutput(req: OutputRequest, root: string, env: Env): Promise<CliResult> {
  const answer = await askRunningServer(req, root, env.SPECSYNC_TOKEN);
  if (answer === "none") return fromDatabase(req, root, env);
  if ("silent" in answer) {
    // Two processes on one PGlite data directory can corrupt it: never open it behind a live
    // server's back.
    if (!env.DATABASE_URL) throw new Error(`${answer.silent}; it holds the embedded database, so specsync will not open it too. Retry, stop that server, or delete the file if that process is not specsync.`);
    return fromDatabase(req, root, env); // PostgreSQL is safe to share
  }
  return answer;
}

/** A short human rendering when `--json` is not given (the JSON is the contract). */
export function humanText(req: OutputRequest, result: CliResult): string {
  if (result.exitCode !== 0 || !result.stdout) return result.stdout;
  const body = JSON.parse(result.stdout) as { changes?: { name: string; completedTasks: number; totalTasks: number; nested?: string[] }[]; specs?: { id: string; requirementCount: number }[] };
  if (req.command === "list" && body.specs) return `${body.specs.map((s) => `${s.id}  requirements ${s.requirementCount}`).join("\n") || "No specs found."}\n`;
  if (req.command === "list" && body.changes)
    return `${body.changes.map((c) => `${c.name}  ${c.nested ? "not a change" : c.totalTasks ? `${c.completedTasks}/${c.totalTasks} tasks` : "No tasks"}`).join("\n") || "No active changes found."}\n`;
  return result.stdout;
}
