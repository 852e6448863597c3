/**
 * What every browser suite starts: a temp workspace, a real specsync server on it, the built web app
 * (`next start`, built here when missing; the `web` project's global setup normally built it), and
 * headless Chromium. One place, so the suites differ only in their workspace and their pages.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempRepos, freePort, tempRepo, writeTree } from "@specsync/api/testing";
import { startTestServer, type TestServer, waitFor } from "@specsync/server/testing";
import { type Browser, chromium } from "playwright-core";

export const WEB_DIR = path.resolve(fileURLToPath(import.meta.url), "../..");
export const ARTIFACTS = path.resolve(WEB_DIR, "../../test-artifacts/screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
  throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs it`);
if (!haveChromium) {
  console.warn(
    `\n⚠ Chromium not found at ${CHROMIUM}: browser tests are SKIPPED (apt-get install chromium)\n`,
  );
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export type BrowserStackOptions = {
  /** Files under `<root>/openspec/`, written before the server starts. */
  files?: Record<string, string | Buffer>;
  /** Start from a copy of the real OpenSpec corpus instead of an empty workspace. */
  corpus?: boolean;
  /** PostgreSQL database URL; in-memory PGlite when absent. */
  databaseUrl?: string | null;
  /** SPECSYNC_TOKEN for the server and the web server (as `specsync start` passes it). */
  token?: string;
};

export type BrowserStack = {
  root: string;
  api: TestServer;
  webUrl: string;
  browser: Browser;
  /** Closes Chromium, the web server and the API, and removes the temp workspace. */
  stop(): Promise<void>;
};

function ensureBuilt(): void {
  if (existsSync(path.join(WEB_DIR, ".next/BUILD_ID"))) return;
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  const build = spawnSync("pnpm", ["build"], { cwd: WEB_DIR, stdio: "inherit", env });
  if (build.status !== 0) throw new Error("next build failed");
}

export async function startBrowserStack(opts: BrowserStackOptions = {}): Promise<BrowserStack> {
  ensureBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  const root = tempRepo({ corpus: opts.corpus });
  if (opts.files) writeTree(root, opts.files);
  let api: TestServer | undefined;
  let web: ChildProcess | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    web?.kill("SIGTERM");
    await api?.stop();
    cleanupTempRepos();
  };
  try {
    const webPort = await freePort();
    const webUrl = `http://127.0.0.1:${webPort}`;
    api = await startTestServer({
      databaseUrl: opts.databaseUrl ?? null,
      projects: [root],
      token: opts.token,
      env: { SPECSYNC_WEB_ORIGIN: webUrl },
    });
    const next = path.join(WEB_DIR, "node_modules/.bin/next");
    web = spawn(next, ["start", "-p", String(webPort), "-H", "127.0.0.1"], {
      cwd: WEB_DIR,
      env: {
        ...process.env,
        SPECSYNC_API_URL: api.url,
        ...(opts.token ? { SPECSYNC_TOKEN: opts.token } : {}),
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: process.env.SPECSYNC_TEST_LOG ? "inherit" : "ignore",
    });
    await waitFor(async () => (await fetch(webUrl)).ok, 60_000, "next start");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    return { root, api, webUrl, browser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
