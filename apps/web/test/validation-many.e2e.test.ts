import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import type { TestServer } from "@specsync/server/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

/** 250 requirements without a scenario: an error each, more than the 200 findings kept per level. */
const REQUIREMENTS = 250;
const MANY_DELTA = `## ADDED Requirements\n${Array.from(
  { length: REQUIREMENTS },
  (_, i) => `### Requirement: Behaviour ${i}\nThe system SHALL do ${i}.\n`,
).join("\n")}`;

describe.skipIf(!haveChromium)("a validation with more findings than are kept (Chromium)", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: {
        ...changeFiles("add-many", "Many requirements, no scenarios"),
        "changes/add-many/specs/demo/spec.md": MANY_DELTA,
      },
    });
    ({ api, webUrl, browser } = stack);
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  }, 300_000);

  afterAll(() => stack?.stop());

  it("the panel lists the kept findings and says how many more there are, from exact counts", async () => {
    const { items } = await api.client.specs.list.query({ kind: "change", search: "add-many" });
    const id = items.find((i) => i.name === "add-many")?.id ?? "";
    await page.goto(`${webUrl}/changes/${id}`);
    await page.click('[data-testid="validate-button"]');
    const notShown = page.locator('[data-testid="validation-not-shown"]');
    await notShown.waitFor({ timeout: 60_000 });

    const shown = await page.locator('[data-testid="validation-finding"]').count();
    const row = await api.client.specs.get.query({ id });
    const v = row.validation;
    expect(v?.errors).toBeGreaterThanOrEqual(REQUIREMENTS);
    expect(shown).toBeLessThan((v?.errors ?? 0) + (v?.warnings ?? 0));
    expect(v?.notShown).toBe((v?.errors ?? 0) + (v?.warnings ?? 0) - shown);
    expect((await notShown.textContent())?.trim()).toBe(`… ${v?.notShown} more findings not shown`);
    await page.screenshot({ path: path.join(ARTIFACTS, "validation-many-phone.png") });
  });
});
