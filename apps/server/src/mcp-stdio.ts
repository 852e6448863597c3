import { existsSync } from "node:fs";
import path from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createServices, isDatabaseUnavailable } from "@specsync/api";
import { createMcpServer } from "@specsync/api/mcp";
import { answeringServer, refuseOtherDatabase } from "./data-dir-lock";
import { openDatabase } from "./database";
import type { Env } from "./env";
import { firstPath } from "./first-path";
import {
  invalidUtf8Answer,
  MAX_JSON_DEPTH,
  MAX_LINE_BYTES,
  oversizeAnswer,
  strictUtf8Lines,
} from "./stdio-utf8";

/**
 * `specsync mcp`: an MCP server on stdin/stdout for the client that spawned it. It keeps the
 * project in sync like `serve` does (startup sync, watcher, scheduler), so files an agent edits
 * directly are seen. stdout carries only the protocol: every log line goes to stderr. Resolves when
 * the client hangs up.
 */
export async function runMcpStdio(env: Env, projectPaths: string[]): Promise<void> {
  const root = firstPath(projectPaths);
  // A client spawns this with a path it was given: say plainly when there is no OpenSpec workspace
  // there.
  if (!existsSync(path.join(root, "openspec")))
    throw new Error(
      `no openspec/ folder in ${root}; pass --project PATH of a repository that has one`,
    );
  const log =
    env.SPECSYNC_LOG === "silent" ? () => {} : (m: string) => console.error(`[specsync] ${m}`);
  process.on("unhandledRejection", (reason) => {
    if (isDatabaseUnavailable(reason)) return log("database connection lost; syncs will retry");
    console.error("[specsync] unhandled rejection:", reason);
    process.exit(1);
  });
  if (!env.DATABASE_URL) await refuseBesideServer(root);
  // On PostgreSQL several processes share one database, but not another one than the server's.
  else
    await refuseOtherDatabase(
      [root],
      { url: env.DATABASE_URL },
      (url) =>
        `point the MCP client at ${url}/mcp (Streamable HTTP), or use the server's DATABASE_URL`,
    );
  const database = await openDatabase(env, projectPaths);
  const services = createServices(database, {
    allowedRoots: env.SPECSYNC_ALLOWED_ROOTS.length ? env.SPECSYNC_ALLOWED_ROOTS : projectPaths,
    concurrency: env.SPECSYNC_CONCURRENCY,
    statusStaleSeconds: env.SPECSYNC_STATUS_STALE_SECONDS,
    log,
    watcher: { debounceMs: env.SPECSYNC_DEBOUNCE_MS },
    scheduler: {
      cron: env.SPECSYNC_CRON,
      staleSeconds: env.SPECSYNC_STALE_SECONDS,
      batchSize: env.SPECSYNC_BATCH_SIZE,
      concurrency: env.SPECSYNC_CONCURRENCY,
    },
  });
  await services.runtime.start(projectPaths);
  const project = await services.sync.ensureProject(root);
  const server = createMcpServer(services, { defaultProjectId: project.id, log });
  // Invalid UTF-8 is refused with a parse error, never decoded to U+FFFD and stored (lone
  // surrogates from \u escapes are refused by the validators, as over HTTP).
  const input = process.stdin.pipe(
    strictUtf8Lines(
      (line) => {
        const answer = invalidUtf8Answer(line);
        log(`refused a message that is not valid UTF-8 (${line.length} bytes)`);
        if (answer) process.stdout.write(answer);
      },
      (bytes) => {
        log(`refused a message of ${bytes} bytes: over the ${MAX_LINE_BYTES}-byte line limit`);
        process.stdout.write(oversizeAnswer(bytes));
      },
      MAX_LINE_BYTES,
      (answer) => {
        log(`refused a message nested deeper than ${MAX_JSON_DEPTH} levels`);
        process.stdout.write(answer);
      },
    ),
  );
  const transport = new StdioServerTransport(input);
  // The transport closes itself on an error it cannot answer: say so and exit non-zero.
  let failed: unknown = null;
  let stdinEnded = false;
  process.stdin.once("end", () => {
    stdinEnded = true;
  });
  server.server.onerror = (err) => {
    failed = err;
    log(`MCP stdio transport error: ${err instanceof Error ? err.message : String(err)}`);
  };
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once("end", resolve);
  });
  await server.connect(transport);
  log(`MCP server on stdio for ${project.rootPath}`);
  await closed;
  await server.close().catch(() => {});
  await services.runtime.stop();
  await database.close();
  if (failed && !stdinEnded) process.exitCode = 1;
}

/**
 * One embedded server per repository (as `serve` refuses a second): on the server's data dir the
 * lock would refuse us, on another one we would keep claims that server's agents never see.
 */
async function refuseBesideServer(root: string): Promise<void> {
  const server = await answeringServer(root);
  if (server)
    throw new Error(
      `specsync is already running for this repository at ${server.url} (pid ${server.pid}) on ` +
        `its embedded database: point the MCP client at ${server.url}/mcp (Streamable HTTP) ` +
        "instead of `specsync mcp`, or use PostgreSQL (DATABASE_URL) for both",
    );
}
