import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

// Text from the server or the person with no space to break at — a path, a token, an agent's
// id — must wrap inside its box, not run out of it (and off a phone's screen): toasts first, then
// the change page's claim owner, file names and messages, and the sync page's error bodies.

/** A folder name of 200 characters, no space (the sync fails on its proposal: invalid UTF-8). */
const LONG_CHANGE = `add-${"z".repeat(196)}`;
/** A capability of 200 characters: its delta spec's file name is as long. */
const LONG_CAP = `cap-${"q".repeat(196)}`;
/** An agent id at the 200-character limit. */
const LONG_OWNER = `agent-${"o".repeat(194)}`;
/** A 300-character token, as an error message might carry. */
const TOKEN = `tok_${"T0k3n".repeat(59)}x`;

/** Every box whose content runs out of it sideways (overflow visible), and the page's own width. */
function spills(page: Page) {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const e of document.querySelectorAll("body *")) {
      const cs = getComputedStyle(e);
      if (cs.display === "inline" || cs.display === "contents" || !e.clientWidth) continue;
      if (cs.overflowX !== "visible" || cs.position === "absolute") continue;
      // Inside a box that scrolls sideways (a diff's lines), running wide is what it is for.
      let scroller = false;
      for (let p = e.parentElement; p && !scroller; p = p.parentElement)
        scroller = ["auto", "scroll"].includes(getComputedStyle(p).overflowX);
      if (scroller) continue;
      if (e.scrollWidth > e.clientWidth + 1) {
        const id = (e as HTMLElement).dataset.testid;
        const text = (e.textContent ?? "").trim().slice(0, 30);
        out.push(
          `${e.tagName.toLowerCase()}${id ? `[${id}]` : ""} "${text}" ${e.scrollWidth}>${e.clientWidth}`,
        );
      }
    }
    const page = document.scrollingElement?.scrollWidth ?? 0;
    if (page > innerWidth) out.push(`page ${page}>${innerWidth}`);
    return out;
  });
}

/** Each toast (and each line inside it) within its box, and the box within the viewport. */
function toastFit(page: Page) {
  return page.locator('[data-testid="toast"]').evaluateAll((toasts) =>
    toasts.map((t) => {
      const r = t.getBoundingClientRect();
      const inner = [...t.querySelectorAll("*")].filter(
        (e) => (e as HTMLElement).clientWidth && e.scrollWidth > (e as HTMLElement).clientWidth,
      ).length;
      return {
        fits: t.scrollWidth <= t.clientWidth && inner === 0,
        inViewport: r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight,
        text: t.textContent?.slice(0, 40),
      };
    }),
  );
}

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 800 }, isMobile: false, hasTouch: false };
/**
 * Each width once, each scheme once: what overflows is a matter of width (the schemes differ in
 * colour only), so two tours cover what four did, in half the CI time (≈ 16 s a tour).
 */
const RUNS = [
  { label: "phone", colorScheme: "light", ...PHONE },
  { label: "desktop", colorScheme: "dark", ...DESKTOP },
] as const;

describe.skipIf(!haveChromium)(
  "long unbroken words stay in their boxes (headless Chromium)",
  () => {
    let stack: BrowserStack;
    let webUrl: string;
    let browser: Browser;
    let changeId = "";

    beforeAll(async () => {
      stack = await startBrowserStack({
        files: {
          ...changeFiles("add-long-words", "Add long words"),
          [`changes/add-long-words/specs/${LONG_CAP}/spec.md`]:
            "## ADDED Requirements\n\n### Requirement: Long\nThe system SHALL wrap.\n\n" +
            `#### Scenario: ${TOKEN}\n- **WHEN** ${TOKEN}\n- **THEN** it wraps\n`,
          [`changes/${LONG_CHANGE}/proposal.md`]: Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x0a]),
        },
      });
      ({ webUrl, browser } = stack);
      const { items } = await stack.api.client.specs.list.query({ kind: "change", limit: 200 });
      changeId = items.find((i) => i.name === "add-long-words")?.id ?? "";
      await stack.api.client.agents.claim.mutate({
        id: changeId,
        owner: LONG_OWNER,
        leaseSeconds: 3600,
      });
    }, 600_000);

    afterAll(() => stack?.stop());

    for (const run of RUNS)
      it(`${run.label}, ${run.colorScheme}: toasts with a long path or token wrap inside the toast; the change and sync pages keep them in their boxes`, async () => {
        const { label, colorScheme, ...rest } = run;
        const opts = { ...rest, colorScheme };
        const ctx = await browser.newContext(opts);
        const page = await ctx.newPage();
        try {
          await page.goto(`${webUrl}/sync`);
          await page.waitForSelector('[data-testid="history-table"]');
          expect(
            await page.evaluate(() => document.documentElement.classList.contains("dark")),
          ).toBe(colorScheme === "dark");

          // A real one: "Sync everything now" reports the failing folder by its 200-char path.
          await page.click('[data-testid="sync-all"]');
          await page.waitForSelector(`[data-testid="toast"]:has-text("${LONG_CHANGE}")`);
          // An error whose message is one 300-character token (the request fails as the server
          // would answer it: a tRPC error).
          await page.route(
            (u) => u.pathname.endsWith("/sync.forceSync"),
            (route) =>
              route.fulfill({
                status: 500,
                contentType: "application/json",
                body: JSON.stringify({
                  error: {
                    json: {
                      message: `sync refused: ${TOKEN}`,
                      code: -32603,
                      data: {
                        code: "INTERNAL_SERVER_ERROR",
                        httpStatus: 500,
                        path: "sync.forceSync",
                      },
                    },
                  },
                }),
              }),
          );
          await page.click('[data-testid="sync-all"]');
          await page.waitForSelector(`[data-testid="toast"]:has-text("${TOKEN}")`);
          const fit = await toastFit(page);
          expect(fit.length).toBeGreaterThanOrEqual(2);
          for (const t of fit) expect(t, t.text).toMatchObject({ fits: true, inViewport: true });
          expect(await spills(page)).toEqual([]);
          await page.screenshot({
            path: path.join(ARTIFACTS, `long-words-toast-${label}-${colorScheme}.png`),
          });
          await page.unroute((u) => u.pathname.endsWith("/sync.forceSync"));

          // The failure's error body on the sync page (failures only).
          await page.click("text=failures only");
          await page.waitForSelector(`[data-testid="history-table"] >> text=${LONG_CHANGE}`);
          expect(await spills(page)).toEqual([]);

          // The change page: the long owner's claim, the long delta spec file name, the history.
          await page.goto(`${webUrl}/changes/${changeId}`);
          await page.waitForSelector(`[data-testid="agents-panel"] >> text=${LONG_OWNER}`);
          expect(await spills(page)).toEqual([]);
          await page.goto(`${webUrl}/changes/${changeId}?tab=deltas`);
          await page.waitForSelector(`text=${LONG_CAP}`);
          expect(await spills(page)).toEqual([]);
          await page.goto(`${webUrl}/changes/${changeId}?tab=history`);
          await page.waitForSelector('[data-testid="history-what"]');
          expect(await spills(page)).toEqual([]);
          await page.goto(`${webUrl}/board`);
          await page.waitForSelector("text=Add long words");
          expect(await spills(page)).toEqual([]);
          await page.goto(`${webUrl}/`);
          await page.waitForSelector(`text=${LONG_OWNER}`);
          expect(await spills(page)).toEqual([]);
          await page.screenshot({
            path: path.join(ARTIFACTS, `long-words-board-${label}-${colorScheme}.png`),
          });
        } finally {
          await ctx.close();
        }
      });
  },
);
