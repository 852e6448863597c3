import path from "node:path";
import { changeFiles, createTestDb, postgresReachable, type TestDb } from "@specsync/api/testing";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

const CHANGES = 30;
const pgOk = await postgresReachable();

// PostgreSQL so the test can do what a large import's background fill does to the server's rows:
// leave their search vectors NULL, then fill them.
describe.skipIf(!haveChromium || !pgOk)(
  "search while its vectors are being filled (Chromium)",
  () => {
    let db: TestDb;
    let stack: BrowserStack;
    let page: Page;

    beforeAll(async () => {
      db = await createTestDb("postgres");
      const files: Record<string, string> = {};
      for (let i = 0; i < CHANGES; i++)
        Object.assign(files, changeFiles(`change-${i}`, `Change ${i}`));
      files["changes/change-7/tasks.md"] =
        "## 1. Work\n\n- [ ] 1.1 Calibrate the zymurgical flux\n";
      stack = await startBrowserStack({ files, databaseUrl: db.url });
      page = await stack.browser.newPage({ viewport: { width: 390, height: 844 } });
    }, 300_000);

    afterAll(async () => {
      await stack?.stop();
      await db?.drop();
    });

    it("says how many changes are not yet searchable by their text, and stops once they are", async () => {
      await db.database.query("update openspec_specs set search = null");
      await page.goto(`${stack.webUrl}/?q=zymurgical`);
      const line = page.locator('[data-testid="search-catching-up"]');
      await line.waitFor({ timeout: 60_000 });
      expect((await line.textContent())?.trim()).toBe(
        `Search is catching up: ${CHANGES} changes not yet searchable by their text`,
      );
      // Too many wait for their vector: the word in a file is not matched yet, and it says so.
      expect(await page.locator('[data-testid="change-row"]').count()).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, "search-catching-up-phone.png") });

      // The fill's work: the page asks again while catching up, so the line goes and the row comes.
      await db.database.query(
        "update openspec_specs set search = openspec_specs_search_of(openspec_specs)",
      );
      await page.locator('[data-testid="change-row"][data-name="change-7"]').waitFor({
        timeout: 30_000,
      });
      expect(await line.count()).toBe(0);
    });
  },
);
