import { rmSync } from "node:fs";
import path from "node:path";
import { changeFiles, MAIN_SPEC } from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

/** Long enough to make the dependency select wider than a phone when it may not shrink. */
const LONG = "add-a-change-whose-name-is-long-enough-to-widen-any-select-on-a-phone";
const ARCHIVE_DELTA =
  "## ADDED Requirements\n### Requirement: Archived behaviour\nThe system SHALL archive.\n\n" +
  "#### Scenario: Archive works\n- **WHEN** a user archives\n- **THEN** it is archived\n";

/** An outside tester's findings on the web UI (session 19), each reproduced in Chromium. */
describe.skipIf(!haveChromium)("outside-test UI findings in headless Chromium", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let root: string;
  const dir = (rel: string) => path.join(root, "openspec", rel);

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: {
        ...changeFiles("mid-delete", "Removed while edited"),
        ...changeFiles("phone-wide", "Seen on a phone"),
        ...changeFiles(LONG, "A long name"),
        ...changeFiles("arch-one", "Archive me"),
        ...changeFiles("board-keys", "Moved by keyboard"),
        "changes/arch-one/specs/demo/spec.md": ARCHIVE_DELTA,
        "changes/no-deltas/proposal.md": "# Change: No deltas\n\n## Why\nShort.\n",
        "changes/no-deltas/tasks.md": "- [ ] 1.1 a\n- [x] 1.2 b\n- [ ] 1.3 c\n",
        "specs/demo/spec.md": MAIN_SPEC,
      },
    });
    ({ api, webUrl, browser, root } = stack);
  }, 300_000);

  afterAll(() => stack?.stop());

  const row = async (name: string, kind: "change" | "spec" = "change") => {
    const { items } = await api.client.specs.list.query({
      kind,
      search: name,
      archived: undefined,
    });
    const found = items.find((i) => i.name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };
  const hydrated = (page: Page) =>
    page.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
      state: "attached",
      timeout: 15_000,
    });

  it("F4: a change removed on disk while edited keeps the editor and its text, says so, and the text can be copied or kept in History", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: webUrl });
    const page = await ctx.newPage();
    try {
      const id = (await row("mid-delete")).id;
      await page.goto(`${webUrl}/changes/${id}`);
      await hydrated(page);
      await page.click('[data-testid="edit-button"]');
      await page.locator('[data-testid="editor"] .cm-content').click();
      await page.keyboard.press("Control+End");
      await page.keyboard.type("\nTYPED BEFORE THE FOLDER WENT\n");
      rmSync(dir("changes/mid-delete"), { recursive: true });

      await page.waitForSelector('[data-testid="removed-on-disk"]', { timeout: 15_000 });
      await page.waitForSelector('[data-testid="editor-removed"]');
      const editor = page.locator('[data-testid="editor"] .cm-content');
      expect(await editor.textContent()).toContain("TYPED BEFORE THE FOLDER WENT");
      const main = (await page.locator("main").textContent()) ?? "";
      expect(main).not.toMatch(/not found/i);
      expect(main).not.toContain(id);
      await page.screenshot({ path: path.join(ARTIFACTS, "removed-on-disk.png") });

      // Ctrl+S: a clear message, and the text stays.
      await page.keyboard.press("Control+s");
      await page.getByTestId("toast").filter({ hasText: "removed on disk" }).first().waitFor();
      expect(await editor.textContent()).toContain("TYPED BEFORE THE FOLDER WENT");

      await page.click('[data-testid="removed-copy"]');
      await waitFor(
        async () =>
          (await page.evaluate(() => navigator.clipboard.readText())).includes(
            "TYPED BEFORE THE FOLDER WENT",
          ),
        10_000,
        "text copied",
      );

      await page.click('[data-testid="removed-keep"]');
      await waitFor(
        async () =>
          (await api.client.sync.history.query({ specId: id })).items.some(
            (h) =>
              h.action === "draft_discarded" &&
              String(h.previousContent?.["proposal.md"] ?? "").includes(
                "TYPED BEFORE THE FOLDER WENT",
              ),
          ),
        10_000,
        "kept in history",
      );
      expect(await page.locator('[data-testid="toast"]').allInnerTexts()).not.toContainEqual(
        expect.stringMatching(/not found/i),
      );
    } finally {
      await ctx.close();
    }
  });

  /** Every kind of page, at a phone's width, light and dark: nothing wider than the screen. */
  it("F1: at 375×667 no page is wider than the screen (the dependency row wraps; the Add button is on screen)", async () => {
    const change = await row("phone-wide");
    const spec = await row("demo", "spec");
    const pages = ["/", "/board", "/summary", "/specs", "/sync", `/changes/${change.id}`];
    pages.push(`/changes/${spec.id}`, "/p/nowhere/changes/nothing");
    const wide: string[] = [];
    for (const colorScheme of ["light", "dark"] as const) {
      const ctx: BrowserContext = await browser.newContext({
        viewport: { width: 375, height: 667 },
        colorScheme,
      });
      const page = await ctx.newPage();
      try {
        for (const p of pages) {
          await page.goto(webUrl + p);
          await hydrated(page).catch(() => undefined); // the 404 page has no live stream
          await page.waitForLoadState("networkidle");
          const { sw, iw } = await page.evaluate(() => ({
            sw: document.documentElement.scrollWidth,
            iw: window.innerWidth,
          }));
          if (sw > iw) wide.push(`${colorScheme} ${p}: scrollWidth ${sw} > ${iw}`);
        }
        await page.goto(`${webUrl}/changes/${change.id}`);
        await hydrated(page);
        const add = await page.getByTestId("dependency-add").boundingBox();
        expect(add).not.toBeNull();
        expect((add?.x ?? 0) + (add?.width ?? 0)).toBeLessThanOrEqual(375);
        if (colorScheme === "dark")
          await page.screenshot({ path: path.join(ARTIFACTS, "phone-change-dark.png") });
      } finally {
        await ctx.close();
      }
    }
    expect(wide).toEqual([]);
  });

  it("F2: after archiving, the address is the archived row's, so a reload shows it", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      const id = (await row("arch-one")).id;
      await page.goto(`${webUrl}/changes/${id}`);
      await page.waitForURL(/\/p\/[^/]+\/changes\/arch-one$/);
      await hydrated(page);
      await page.click('[data-testid="archive-button"]');
      await page.waitForSelector('[data-testid="archive-dialog"]');
      await page.click('[data-testid="archive-confirm"]');
      await page.waitForURL(/\/p\/[^/]+\/changes\/\d{4}-\d\d-\d\d-arch-one$/, { timeout: 20_000 });
      await page.reload();
      expect(await page.locator('[data-testid="not-found"]').count()).toBe(0);
      expect(await page.textContent('[data-testid="status-badge"]')).toBe("Archived");
      expect(await page.textContent('[data-testid="change-heading"]')).toContain("Archive me");
    } finally {
      await page.close();
    }
  });

  it("F3: the archive dialog shows the open tasks and the validation findings the CLI warns about", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      const id = (await row("no-deltas")).id;
      // Not validated yet (or since the files changed): the dialog runs it when it opens.
      await page.goto(`${webUrl}/changes/${id}?archive=1`);
      await page.waitForSelector('[data-testid="archive-dialog"]');
      expect(await page.textContent('[data-testid="archive-open-tasks"]')).toContain(
        "2 of 3 tasks are not done",
      );
      const findings = page.locator('[data-testid="archive-findings"]');
      await findings.waitFor({ timeout: 30_000 });
      expect(await findings.textContent()).toMatch(/1 error.*archive stops on errors/);
      expect(await findings.textContent()).toMatch(/delta/i);
      await page.screenshot({ path: path.join(ARTIFACTS, "archive-warnings.png") });
    } finally {
      await page.close();
    }
  });

  it("F11: on the board, the card keeps the keyboard focus after Shift+→, so it can be moved again", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      const { id } = await row("board-keys");
      expect((await row("board-keys")).status).toBe("in_progress");
      await page.goto(`${webUrl}/board`);
      await hydrated(page);
      const card = `[data-testid="board-card"][data-name="board-keys"]`;
      await page.locator(card).focus();
      await page.keyboard.press("Shift+ArrowRight");
      await waitFor(async () => (await row("board-keys")).status === "review", 10_000, "1st");
      await page.locator(`[data-testid="column-review"] ${card}`).waitFor();
      await waitFor(
        () => page.evaluate((i) => document.activeElement?.getAttribute("data-card-id") === i, id),
        10_000,
        "focus back on the moved card",
      );
      await page.keyboard.press("Shift+ArrowRight");
      await waitFor(async () => (await row("board-keys")).status === "applied", 10_000, "2nd");
    } finally {
      await page.close();
    }
  });
});
