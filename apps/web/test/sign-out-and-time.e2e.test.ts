/**
 * Through the real built bin (`specsync start` with SPECSYNC_TOKEN), plain HTTP and Chromium:
 * signing out, the limit on wrong tokens per client address, and change pages that hydrate
 * without React error #418 when the browser's clock, timezone and locale are not the server's.
 */
import { existsSync } from "node:fs";
import { cleanupTempRepos } from "@specsync/api/testing";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raw, type Started, start, TITLE } from "./specsync-start";

const TOKEN = "sign-out-test-token-0123456789";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

describe("web port with SPECSYNC_TOKEN: signing out and wrong tokens", () => {
  let s: Started;
  const signIn = (token: string, from?: string, headers: Record<string, string> = {}) =>
    raw(s.webPort, {
      path: "/sign-in",
      method: "POST",
      headers: { ...FORM, ...headers },
      body: form({ token, next: "/sync" }),
      from,
    });
  let browser: Browser | undefined;

  beforeAll(async () => {
    s = await start({ SPECSYNC_TOKEN: TOKEN });
    if (existsSync(CHROMIUM))
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu"],
      });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    cleanupTempRepos();
  });

  it("POST /sign-out clears the cookie and goes to the sign-in page; cross-site or GET does not", async () => {
    const cookie = String((await signIn(TOKEN)).headers["set-cookie"]).split(";")[0] ?? "";
    expect((await raw(s.webPort, { path: "/sync", headers: { cookie } })).status).toBe(200);
    const crossSite = await raw(s.webPort, {
      path: "/sign-out",
      method: "POST",
      headers: { cookie, origin: "http://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers["set-cookie"]).toBeUndefined();
    const get = await raw(s.webPort, { path: "/sign-out", headers: { cookie } });
    expect(get.status).toBe(405);
    expect(get.headers["set-cookie"]).toBeUndefined();
    const out = await raw(s.webPort, {
      path: "/sign-out",
      method: "POST",
      headers: { cookie, origin: `http://127.0.0.1:${s.webPort}` },
    });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe("/sign-in");
    const cleared = String(out.headers["set-cookie"]);
    expect(cleared).toMatch(/^specsync_session=;/);
    expect(cleared).toMatch(/Max-Age=0/i);
    // A browser whose session is gone is not stuck: signing out needs no session.
    const again = await raw(s.webPort, { path: "/sign-out", method: "POST" });
    expect(again.status).toBe(303);
  });

  it("ten wrong tokens from one address: 429 with Retry-After, even for the right token", async () => {
    const from = "127.0.0.3";
    for (let i = 0; i < 10; i++) {
      const wrong = await signIn(`${TOKEN}-${i}`, from);
      expect(wrong.status, `attempt ${i + 1}`).toBe(401);
    }
    const limited = await signIn(`${TOKEN}-x`, from);
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers["retry-after"]);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    expect(limited.body).toContain("Too many wrong tokens");
    expect(limited.body).not.toContain(TITLE);
    // The right token is refused too while limited (else guessing would go on), and no header the
    // client writes (X-Forwarded-For, the address header itself) makes it another client.
    for (const headers of [
      {},
      { "x-forwarded-for": "203.0.113.9" },
      { "x-specsync-client-address": "203.0.113.10" },
    ] as Record<string, string>[]) {
      const res = await signIn(TOKEN, from, headers);
      expect(res.status, JSON.stringify(headers)).toBe(429);
      expect(res.headers["set-cookie"]).toBeUndefined();
    }
    // Another address signs in as usual.
    const other = await signIn(TOKEN, "127.0.0.4");
    expect(other.status).toBe(303);
    expect(String(other.headers["set-cookie"])).toMatch(/^specsync_session=/);
  });

  it("a right token clears the count of its address's wrong ones", async () => {
    const from = "127.0.0.5";
    for (let i = 0; i < 9; i++) expect((await signIn(`${TOKEN}-${i}`, from)).status).toBe(401);
    expect((await signIn(TOKEN, from)).status).toBe(303);
    // Counted from zero again: ten more wrong ones are each a 401, the eleventh is limited.
    for (let i = 0; i < 10; i++) expect((await signIn(`${TOKEN}-${i}`, from)).status).toBe(401);
    expect((await signIn(`${TOKEN}-x`, from)).status).toBe(429);
  });

  /** A signed-in page in a browser context with these options. */
  async function signedIn(ctx: BrowserContext, path: string): Promise<Page> {
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${s.webPort}/sign-in?next=${encodeURIComponent(path)}`);
    await page.fill('input[name="token"]', TOKEN);
    await Promise.all([page.waitForURL(`**${path}`), page.click('[data-testid="sign-in-submit"]')]);
    return page;
  }

  it("Chromium at 375 px, dark: the nav's sign-out fits, and signs the browser out", async (t) => {
    if (!browser) return t.skip();
    const ctx = await browser.newContext({
      viewport: { width: 375, height: 740 },
      colorScheme: "dark",
    });
    const page = await signedIn(ctx, `/p/${s.project}/changes/add-search`);
    await page.waitForSelector('[data-testid="change-heading"]');
    const button = page.locator('[data-testid="sign-out"]');
    await button.waitFor();
    const box = await button.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(375);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      375,
    );
    expect(await page.evaluate(() => document.documentElement.classList.contains("dark"))).toBe(
      true,
    );
    expect(await page.evaluate(() => localStorage.getItem("specsync.token"))).toBe(TOKEN);
    await Promise.all([page.waitForURL("**/sign-in"), button.click()]);
    expect((await ctx.cookies()).find((c) => c.name === "specsync_session")).toBeUndefined();
    expect(await page.evaluate(() => localStorage.getItem("specsync.token"))).toBeNull();
    await page.goto(`http://127.0.0.1:${s.webPort}/sync`);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    expect(await page.content()).not.toContain(s.root);
    await ctx.close();
  });

  it("change pages hydrate without error #418 on another clock, timezone and locale", async (t) => {
    if (!browser) return t.skip();
    const browsers = [
      { timezoneId: "Pacific/Kiritimati", locale: "de-DE", skewMs: 2 * 3600_000 },
      { timezoneId: "America/Los_Angeles", locale: "en-US", skewMs: -45_000 },
      { timezoneId: "Asia/Kolkata", locale: "ja-JP", skewMs: 3 * 86400_000 },
    ];
    for (const { skewMs, ...opts } of browsers) {
      const ctx = await browser.newContext(opts);
      const errors: string[] = [];
      const page = await signedIn(ctx, "/");
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      // The browser's clock is not the server's: relative times computed in the browser differ.
      await page.clock.setFixedTime(Date.now() + skewMs);
      for (let i = 0; i < 4; i++) {
        for (const path of [`/p/${s.project}/changes/add-search`, "/", "/sync"]) {
          await page.goto(`http://127.0.0.1:${s.webPort}${path}`, { waitUntil: "load" });
          // Hydration runs once the scripts are in (live events keep the network busy).
          await page.waitForTimeout(400);
        }
      }
      await page.goto(`http://127.0.0.1:${s.webPort}/p/${s.project}/changes/add-search`);
      await page.waitForSelector('[data-testid="relative-time"]');
      await page.waitForTimeout(1000);
      const hydration = errors.filter((e) => /hydrat|#418|#423|#425/i.test(e));
      expect(hydration, `${opts.timezoneId}: ${errors.join("\n")}`).toEqual([]);
      await ctx.close();
    }
  });
});
