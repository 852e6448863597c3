/**
 * The web app against a server with SPECSYNC_TOKEN (headless Chromium): the token sits in the
 * browser's localStorage, calls send it as a header, and live events open with a short-lived ticket
 * — the long-lived token never appears in a URL the browser requests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../packages/api/test/helpers/free-port";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../../../packages/api/test/helpers/workspace";
import { startTestServer, waitFor, type TestServer } from "../../server/test/helpers";

const WEB_DIR = path.resolve(fileURLToPath(import.meta.url), "../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveBrowserAndBuild = existsSync(CHROMIUM) && existsSync(path.join(WEB_DIR, ".next/BUILD_ID"));
if (!haveBrowserAndBuild && process.env.CI) throw new Error("Chromium and a web build (e2e.test.ts builds it) are needed");
const TOKEN = "browser-test-token-0123456789";

describe.skipIf(!haveBrowserAndBuild)("web UI with SPECSYNC_TOKEN", () => {
  let api: TestServer;
  let web: ChildProcess;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let root: string;
  const requested: string[] = [];

  beforeAll(async () => {
    root = tempRepo();
    writeTree(root, { ...changeFiles("add-search", "Add full-text search"), ...changeFiles("fix-login", "Fix login redirect") });
    const webPort = await freePort();
    webUrl = `http://127.0.0.1:${webPort}`;
    api = await startTestServer({ databaseUrl: null, projects: [root], token: TOKEN, env: { SPECSYNC_WEB_ORIGIN: webUrl } });
    web = spawn(path.join(WEB_DIR, "node_modules/.bin/next"), ["start", "-p", String(webPort), "-H", "127.0.0.1"], {
      cwd: WEB_DIR,
      // As `specsync start` does: the web server's own calls (server-side prefetch, old-link
      // redirects) send the token too.
      env: { ...process.env, SPECSYNC_API_URL: api.url, SPECSYNC_TOKEN: TOKEN, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: "ignore",
    });
    await waitFor(async () => (await fetch(webUrl)).ok, 60_000, "next start");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"] });
    page = await browser.newPage();
    page.on("request", (r) => requested.push(r.url()));
    await page.addInitScript((token) => window.localStorage.setItem("specsync.token", token), TOKEN);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    web?.kill("SIGTERM");
    await api?.stop();
    cleanupTempRepos();
  });

  it("lists changes and receives live updates; the token never travels in a URL", async () => {
    await page.goto(webUrl);
    await page.waitForSelector('[data-testid="change-row"]');
    expect(await page.locator('[data-testid="change-row"]').count()).toBe(2);
    await page.waitForSelector('[data-testid="live-status"][data-status="pending"]', { state: "attached", timeout: 15_000 });
    const id = (await api.client.specs.list.query({ kind: "change", search: "fix-login" })).items.find((i) => i.name === "fix-login")!.id;
    await page.goto(`${webUrl}/changes/${id}`);
    await page.waitForSelector('[data-testid="change-heading"]');
    await page.waitForSelector('[data-testid="live-status"][data-status="pending"]', { state: "attached", timeout: 15_000 });
    const proposal = path.join(root, "openspec/changes/fix-login/proposal.md");
    writeFileSync(proposal, readFileSync(proposal, "utf8").replace("# Change: Fix login redirect", "# Change: Fix login redirect loop"));
    await page.waitForFunction(() => document.querySelector('[data-testid="change-heading"]')?.textContent === "Fix login redirect loop", undefined, { timeout: 10_000 });
    expect(requested.some((u) => u.includes("/trpc/sync.events") && u.includes("ticket"))).toBe(true);
    expect(requested.filter((u) => u.includes(TOKEN) || u.includes(encodeURIComponent(TOKEN)))).toEqual([]);
  });
});
