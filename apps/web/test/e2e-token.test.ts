/**
 * The web app against a server with SPECSYNC_TOKEN (headless Chromium): the token sits in the
 * browser's localStorage, calls send it as a header, and live events open with a short-lived ticket
 * — the long-lived token never appears in a URL the browser requests.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import type { TestServer } from "@specsync/server/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

const TOKEN = "browser-test-token-0123456789";

describe.skipIf(!haveChromium)("web UI with SPECSYNC_TOKEN", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let root: string;
  const requested: string[] = [];

  beforeAll(async () => {
    const files = {
      ...changeFiles("add-search", "Add full-text search"),
      ...changeFiles("fix-login", "Fix login redirect"),
    };
    // The web server gets the token too, as `specsync start` does (server-side prefetch, old-link redirects).
    stack = await startBrowserStack({ files, token: TOKEN });
    ({ api, webUrl, browser, root } = stack);
    page = await browser.newPage();
    page.on("request", (r) => requested.push(r.url()));
    await page.addInitScript(
      (token) => window.localStorage.setItem("specsync.token", token),
      TOKEN,
    );
  }, 300_000);

  afterAll(() => stack?.stop());

  it("lists changes and receives live updates; the token never travels in a URL", async () => {
    await page.goto(webUrl);
    await page.waitForSelector('[data-testid="change-row"]');
    expect(await page.locator('[data-testid="change-row"]').count()).toBe(2);
    await page.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
      state: "attached",
      timeout: 15_000,
    });
    const id = (
      await api.client.specs.list.query({ kind: "change", search: "fix-login" })
    ).items.find((i) => i.name === "fix-login")!.id;
    await page.goto(`${webUrl}/changes/${id}`);
    await page.waitForSelector('[data-testid="change-heading"]');
    await page.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
      state: "attached",
      timeout: 15_000,
    });
    const proposal = path.join(root, "openspec/changes/fix-login/proposal.md");
    writeFileSync(
      proposal,
      readFileSync(proposal, "utf8").replace(
        "# Change: Fix login redirect",
        "# Change: Fix login redirect loop",
      ),
    );
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="change-heading"]')?.textContent ===
        "Fix login redirect loop",
      undefined,
      { timeout: 10_000 },
    );
    expect(requested.some((u) => u.includes("/trpc/sync.events") && u.includes("ticket"))).toBe(
      true,
    );
    expect(
      requested.filter((u) => u.includes(TOKEN) || u.includes(encodeURIComponent(TOKEN))),
    ).toEqual([]);
  });
});
