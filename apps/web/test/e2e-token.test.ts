/**
 * The web app against a server with SPECSYNC_TOKEN (headless Chromium): the person signs in on the
 * web port's sign-in page (an HttpOnly session cookie for the server-rendered pages, the token in
 * localStorage for the browser's own API calls), calls send it as a header, and live events open
 * with a short-lived ticket — the long-lived token never appears in a URL the browser requests.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import type { TestServer } from "@specsync/server/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";
import { audit } from "./page-audit";

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
  }, 300_000);

  afterAll(() => stack?.stop());

  it("the sign-in page and its refusal are readable in dark mode on a phone", async () => {
    const ctx = await browser.newContext({
      viewport: { width: 390, height: 844 },
      colorScheme: "dark",
    });
    const dark = await ctx.newPage();
    const problems: string[] = [];
    await dark.goto(webUrl);
    for (const step of ["page", "refusal"]) {
      if (step === "refusal") {
        await dark.fill('input[name="token"]', `${TOKEN}-wrong`);
        await Promise.all([dark.waitForNavigation(), dark.click('[data-testid="sign-in-submit"]')]);
        await dark.waitForSelector('[data-testid="sign-in-error"]');
      }
      const f = await dark.evaluate(audit);
      if (f.width > f.inner) problems.push(`${step}: ${f.width} px wide`);
      for (const l of f.low) problems.push(`${step}: contrast ${l}`);
    }
    await ctx.close();
    expect(problems).toEqual([]);
  });

  it("signs in on the sign-in page: no data before, a wrong token is refused", async () => {
    await page.goto(webUrl);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    expect(await page.content()).not.toContain("Add full-text search");
    await page.fill('input[name="token"]', `${TOKEN}-wrong`);
    await Promise.all([page.waitForNavigation(), page.click('[data-testid="sign-in-submit"]')]);
    await page.waitForSelector('[data-testid="sign-in-error"]');
    expect(await page.content()).not.toContain("Add full-text search");
    await page.fill('input[name="token"]', TOKEN);
    await Promise.all([
      page.waitForURL(`${webUrl}/`),
      page.click('[data-testid="sign-in-submit"]'),
    ]);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "specsync_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });
    expect(await page.evaluate(() => window.localStorage.getItem("specsync.token"))).toBe(TOKEN);
  });

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
