/**
 * `specsync list|show --json`: what `openspec list|show --json` prints, from specsync's database.
 * Loaded lazily by the CLI and itself loading as little as it can: a running server for the project is
 * asked over HTTP (it holds the answer, and an embedded PGlite admits one process only); otherwise the
 * database is read with raw queries (no drizzle, no migrations, no watcher/tRPC code); only a database
 * that does not know the project yet pays for the full services, to sync it first.
 */
import type { CliResult, ShowType } from "@specsync/api/openspec-output";
import type { Env } from "../env";
import { processAlive, readServerFile } from "../server-file";

export type OutputRequest = { command: "list"; specs: boolean } | { command: "show"; id: string | undefined; type: ShowType };

/** The answer of the specsync server running for `root`, or null when there is none (or it cannot answer). */
export async function askRunningServer(req: OutputRequest, root: string, token: string | undefined): Promise<CliResult | null> {
  const advertised = readServerFile(root);
  if (!advertised || !processAlive(advertised.pid)) return null;
  const q = new URLSearchParams({ root });
  if (req.command === "list") {
    if (req.specs) q.set("specs", "1");
  } else {
    if (req.id !== undefined) q.set("id", req.id);
    if (req.type) q.set("type", req.type);
  }
  try {
    const res = await fetch(`${advertised.url}/cli/v1/${req.command}?${q}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    if (res.status === 401) throw new Error(`the specsync server at ${advertised.url} wants a token: set SPECSYNC_TOKEN to the server's`);
    if (!res.ok) return null;
    return (await res.json()) as CliResult;
  } catch (err) {
    if (err instanceof Error && err.message.includes("wants a token")) throw err;
    return null; // not reachable (stale file, a port reused by something else): read the database instead
  }
}

async function fromDatabase(req: OutputRequest, root: string, env: Env): Promise<CliResult> {
  const { CliOutputService } = await import("@specsync/api/openspec-output");
  const run = (service: InstanceType<typeof CliOutputService>) => (req.command === "list" ? service.list(root, { specs: req.specs }) : service.show(root, req.id, req.type));
  const dataDir = env.SPECSYNC_DATA_DIR ?? "memory://";
  if (!dataDir.startsWith("memory://") || env.DATABASE_URL) {
    const { openQueryClient } = await import("@specsync/db/query-client");
    const client = await openQueryClient({ url: env.DATABASE_URL, dataDir });
    try {
      const result = await run(new CliOutputService(client)).catch(() => null); // no tables yet, an older schema: the full path migrates
      if (result) return result;
    } finally {
      await client.close();
    }
  }
  // The database does not know this project (a first run, `SPECSYNC_DATA_DIR=memory://`): sync it first,
  // so the answer is the workspace's and never a silent empty list.
  const [{ openDatabase }, { createServices }] = await Promise.all([import("../database"), import("@specsync/api")]);
  const database = await openDatabase(env);
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
  return (await askRunningServer(req, root, env.SPECSYNC_TOKEN)) ?? fromDatabase(req, root, env);
}

/** A short human rendering when `--json` is not given (the JSON is the contract). */
export function humanText(req: OutputRequest, result: CliResult): string {
  if (result.exitCode !== 0 || !result.stdout) return result.stdout;
  const body = JSON.parse(result.stdout) as { changes?: { name: string; completedTasks: number; totalTasks: number; nested?: string[] }[]; specs?: { id: string; requirementCount: number }[] };
  if (req.command === "list" && body.specs) return (body.specs.map((s) => `${s.id}  requirements ${s.requirementCount}`).join("\n") || "No specs found.") + "\n";
  if (req.command === "list" && body.changes)
    return (body.changes.map((c) => `${c.name}  ${c.nested ? "not a change" : c.totalTasks ? `${c.completedTasks}/${c.totalTasks} tasks` : "No tasks"}`).join("\n") || "No active changes found.") + "\n";
  return result.stdout;
}
