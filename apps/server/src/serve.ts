import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createServices, isDatabaseUnavailable, SUPPORTED_OPENSPEC_RANGE } from "@specsync/api";
import { allowedOrigins, LOOPBACK_BINDS } from "@specsync/settings";
import { refuseSecondServer } from "./data-dir-lock";
import { databaseLocation, openDatabase } from "./database";
import { databaseIdentity } from "./database-identity";
import type { Env } from "./env";
import { createHttpServer } from "./http";
import { advertiseServer, localUrl } from "./server-file";
import { type Shutdown, StartupAborted } from "./shutdown";

export type Running = { url: string; stop: () => Promise<void> };

/** Start specsync: migrations, full sync of every project, watchers and schedulers, then HTTP. */
export async function startServer(
  env: Env,
  projectPaths: string[],
  log: (msg: string) => void = (m) => console.log(`[specsync] ${m}`),
  /** A shutdown during startup: the next step gives up, closing what was opened. */
  signal?: AbortSignal,
): Promise<Running> {
  if (!LOOPBACK_BINDS.has(env.HOST) && !env.SPECSYNC_TOKEN) {
    throw new Error(
      `refusing to listen on ${env.HOST} without SPECSYNC_TOKEN: anyone on the network could edit your specs`,
    );
  }
  if (!env.DATABASE_URL) await refuseSecondServer(projectPaths);
  const quiet = env.SPECSYNC_LOG === "silent";
  const say = quiet ? () => {} : log;
  const database = await openDatabase(env, projectPaths);
  if (signal?.aborted) {
    await database.close();
    throw new StartupAborted();
  }
  say(
    `database: ${database.driver === "pglite" ? `embedded PGlite (${databaseLocation(env, projectPaths).dataDir})` : "PostgreSQL"}; migrations applied`,
  );
  const services = createServices(database, {
    allowedRoots: env.SPECSYNC_ALLOWED_ROOTS.length ? env.SPECSYNC_ALLOWED_ROOTS : projectPaths,
    concurrency: env.SPECSYNC_CONCURRENCY,
    statusStaleSeconds: env.SPECSYNC_STATUS_STALE_SECONDS,
    log: say,
    watcher: { debounceMs: env.SPECSYNC_DEBOUNCE_MS },
    scheduler: {
      cron: env.SPECSYNC_CRON,
      staleSeconds: env.SPECSYNC_STALE_SECONDS,
      batchSize: env.SPECSYNC_BATCH_SIZE,
      concurrency: env.SPECSYNC_CONCURRENCY,
    },
    lifecycle: { timeoutMs: env.SPECSYNC_OPENSPEC_TIMEOUT_MS },
  });
  // The OpenSpec CLI is checked once at start; without a supported one, sync still runs and the
  // lifecycle actions (new, validate, archive) answer with the same message.
  const cli = services.lifecycle.checkCli();
  say(
    cli.ok
      ? `OpenSpec CLI ${cli.version} (${SUPPORTED_OPENSPEC_RANGE})`
      : `OpenSpec CLI unavailable: ${cli.error}`,
  );
  await services.runtime.start(projectPaths);
  if (signal?.aborted) {
    await services.runtime.stop();
    await database.close();
    throw new StartupAborted();
  }
  services.lifecycle.startAutoValidate();
  const server = createHttpServer({
    services,
    token: env.SPECSYNC_TOKEN ?? null,
    allowedOrigins: allowedOrigins(env),
    allowedHosts: env.SPECSYNC_ALLOWED_HOSTS,
    bindHost: env.HOST,
  });
  server.listen(env.PORT, env.HOST);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const url = `http://${env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST}:${port}`;
  say(`API listening on ${url}/trpc, MCP on ${url}/mcp (health: ${url}/healthz)`);
  // The parse pool (issue #11) is not warmed here: its worker thread is a second V8 heap, ~30 MB
  // of a 10,000-change server's peak RSS (docs/performance.md). It starts with the first job that
  // needs it (a file over 64 KB, a bulk import).
  const unadvertise = advertiseServer(
    localUrl(env.HOST, port),
    services.runtime.state().map((p) => p.rootPath),
    databaseIdentity(databaseLocation(env, projectPaths)),
  );

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      say("shutting down");
      services.lifecycle.stopAutoValidate();
      unadvertise();
      await services.runtime.stop();
      await services.lifecycle.idle();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      say("HTTP closed");
      await database.close();
      say("database closed; bye");
    })());
  return { url, stop };
}

/**
 * A dropped PostgreSQL connection can surface as a stray rejection inside the driver; the sync
 * that needed it has already failed and been recorded, so log it and keep serving. Anything else is
 * a bug.
 */
export function guardRejections(): void {
  process.on("unhandledRejection", (reason) => {
    if (isDatabaseUnavailable(reason)) {
      console.error(
        `[specsync] database connection lost (${(reason as { code?: string }).code}); syncs will retry`,
      );
      return;
    }
    console.error("[specsync] unhandled rejection:", reason);
    process.exit(1);
  });
}

/** `specsync serve`: run until SIGINT/SIGTERM, then shut down gracefully and exit 0. */
export async function serve(env: Env, projectPaths: string[], shutdown: Shutdown): Promise<void> {
  guardRejections();
  // Registered as part of the startup itself, so a shutdown waiting for it always finds the stop.
  const startup = startServer(env, projectPaths, undefined, shutdown.signal).then((running) => {
    shutdown.onStop(running.stop);
    return running;
  });
  shutdown.starting(startup);
  await startup;
}
