import path from "node:path";
import { createInterface } from "node:readline/promises";
import { SPECSYNC_DIR } from "@specsync/settings";
import { refuseSecondServer } from "./data-dir-lock";
import { databaseLocation } from "./database";
import type { Env } from "./env";
import { firstPath } from "./first-path";
import { type GitignoreChoice, offerGitignore } from "./gitignore";
import { assertPortFree } from "./ports";
import { guardRejections, type Running, startServer } from "./serve";
import { checkAborted, type Shutdown } from "./shutdown";
import { findWebServer, startWebServer, type WebProcess } from "./web-process";

export type StartOptions = { gitignore: GitignoreChoice; web: boolean };

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/**
 * `specsync` (no command): API + web UI on the repository around you, the embedded database in
 * `<repo>/.specsync/` (offered to .gitignore), URLs printed; runs until SIGINT/SIGTERM. A signal
 * at any moment of the startup stops it and whatever it started (`shutdown`).
 */
export async function start(
  env: Env,
  projectPaths: string[],
  opts: StartOptions,
  shutdown: Shutdown,
): Promise<void> {
  if (opts.web && env.WEB_PORT === 0)
    throw new Error(
      "WEB_PORT must be a port number, not 0: the API must know the web app's origin",
    );
  if (opts.web && env.PORT !== 0 && env.PORT === env.WEB_PORT)
    throw new Error(
      `the API and the web UI cannot share port ${env.PORT}: pass a different --port or --web-port (PORT / WEB_PORT)`,
    );
  const startup = launch(env, projectPaths, opts, shutdown);
  shutdown.starting(startup);
  await startup;
}

async function launch(
  env: Env,
  projectPaths: string[],
  opts: StartOptions,
  shutdown: Shutdown,
): Promise<void> {
  const root = firstPath(projectPaths);
  const say = (msg: string) => console.log(`[specsync] ${msg}`);
  const { signal } = shutdown;
  if (!env.DATABASE_URL) await refuseSecondServer(projectPaths);
  await assertPortFree(env.HOST, env.PORT, "pass --port N or set PORT");
  const serverJs = opts.web ? findWebServer() : null;
  if (serverJs) await assertPortFree(env.HOST, env.WEB_PORT, "pass --web-port N or set WEB_PORT");
  const { dataDir } = databaseLocation(env, projectPaths);
  if (dataDir && path.resolve(dataDir).startsWith(path.join(root, SPECSYNC_DIR) + path.sep)) {
    await offerGitignore(root, opts.gitignore, {
      interactive: !!(process.stdin.isTTY && process.stdout.isTTY),
      ask,
      say,
    });
  }
  checkAborted(signal);

  guardRejections();
  if (opts.web && !serverJs) say("web UI not built (run `pnpm build`); serving the API only");
  const startWeb = (apiUrl: string) =>
    serverJs
      ? startWebServer({ serverJs, host: env.HOST, port: env.WEB_PORT, apiUrl, signal })
      : null;
  // The web server starts alongside the database and the startup sync (it needs only the API's
  // URL), unless the API's port is random (PORT=0) and so known only once it listens.
  let webStart = env.PORT !== 0 ? startWeb(env.SPECSYNC_API_URL) : null;
  webStart?.catch(() => {}); // awaited below
  let api: Running | null = null;
  // The web UI first (it calls the API), then the API; each only if it got as far as starting.
  shutdown.onStop(async () => {
    await webStart?.then(
      (w) => w.stop(),
      () => {},
    );
    await api?.stop();
  });
  try {
    api = await startServer(env, projectPaths, undefined, signal);
  } catch (err) {
    await webStart?.then(
      (w) => w.stop(),
      () => {},
    );
    throw err;
  }
  webStart ??= startWeb(api.url);
  let web: WebProcess | null = null;
  try {
    web = await webStart;
  } catch (err) {
    if (!signal.aborted) await api.stop();
    throw err;
  }
  void web?.exited.then((code) => {
    if (!signal.aborted) shutdown.stop(`the web UI exited (code ${code}); stopping`, 1);
  });

  console.log(
    `\nspecsync is running on ${root}\n${web ? `  web UI  ${web.url}\n` : ""}  API     ${api.url}/trpc  (health: ${api.url}/healthz)\n\nCtrl+C to stop.`,
  );
}
