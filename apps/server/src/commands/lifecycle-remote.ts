/**
 * A lifecycle command while a specsync server holds the embedded database (PGlite admits one
 * process): the server runs it over its own services (POST /cli/v1/run) and sends back the exact
 * stdout, stderr and exit code, which the CLI prints as if it had run the command itself.
 */
import type { CliResult } from "@specsync/api/openspec-output";
import { describeHolder, liveHolder, refuseOtherDatabase, repoOfDataDir } from "../data-dir-lock";
import type { Env } from "../env";
import { readServerFile } from "../server-file";
import type { LifecycleRequest } from "./lifecycle";
import { requestServer, TokenRefused } from "./server-request";

/** Room for the slowest action (an archive runs the OpenSpec CLI, then syncs the specs). */
const SLACK_MS = 60_000;

/**
 * The server's answer; null when no live server holds the data dir: the command then runs here,
 * as before, and is refused by the lock if someone else holds it. A server that holds it but does
 * not watch `root` is a clear error (the lock's refusal would point back at this very command).
 */
export async function runOnHoldingServer(
  req: LifecycleRequest,
  root: string,
  roots: readonly string[],
  env: Pick<Env, "DATABASE_URL" | "SPECSYNC_DATA_DIR" | "SPECSYNC_TOKEN"> & {
    SPECSYNC_OPENSPEC_TIMEOUT_MS: number;
  },
): Promise<CliResult | null> {
  const dataDir = env.SPECSYNC_DATA_DIR;
  // No server holds our database: the command runs here, unless a server runs for this
  // repository on another database (claims there are not the ones its agents see).
  if (env.DATABASE_URL) {
    await refuseOtherDatabase([root], { url: env.DATABASE_URL });
    return null;
  }
  if (!dataDir) return null;
  const pid = liveHolder(dataDir);
  const candidates = [root, ...roots, repoOfDataDir(dataDir)];
  const server = candidates.map(readServerFile).find((f) => f?.pid === pid);
  if (!server || pid === null) {
    await refuseOtherDatabase([root], { dataDir });
    return null;
  }
  let res: { status: number; body: string };
  try {
    res = await requestServer(`${server.url}/cli/v1/run`, env.SPECSYNC_TOKEN, {
      body: { root, request: req },
      timeoutMs: env.SPECSYNC_OPENSPEC_TIMEOUT_MS + SLACK_MS,
    });
  } catch (err) {
    const why = (err as Error).message;
    throw new Error(
      `${describeHolder(pid, candidates)} but the request failed (${why}); ` +
        "check what it did before trying again",
    );
  }
  if (res.status === 401) throw new TokenRefused(server.url);
  if (res.status === 404)
    throw new Error(
      `the specsync server at ${server.url} (pid ${pid}) holds the embedded database ${dataDir} ` +
        `but does not watch ${root}: add this repository to that server (SPECSYNC_PROJECTS or ` +
        "--project) and restart it, or stop it to run this here",
    );
  if (res.status !== 200)
    throw new Error(
      `${describeHolder(pid, candidates)} but answered HTTP ${res.status}: ` +
        res.body.slice(0, 500),
    );
  return JSON.parse(res.body) as CliResult;
}
