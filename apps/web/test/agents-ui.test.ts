import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

describe.skipIf(!haveChromium)("agents in the web UI (headless Chromium)", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // add-login and fix-login both touch demo: Demo behaviour (the default delta), add-docs touches docs only.
    const docs = changeFiles("add-docs", "Write the docs");
    docs["changes/add-docs/specs/docs/spec.md"] = docs["changes/add-docs/specs/demo/spec.md"]!;
    delete docs["changes/add-docs/specs/demo/spec.md"];
    stack = await startBrowserStack({
      files: {
        ...changeFiles("add-login", "Add login"),
        ...changeFiles("fix-login", "Fix login"),
        ...docs,
      },
    });
    ({ api, webUrl, browser } = stack);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 600_000);

  afterAll(() => stack?.stop());

  const idOf = async (name: string) =>
    (await api.client.specs.list.query({ kind: "change", search: name })).items.find(
      (i) => i.name === name,
    )!.id;
  const rowNames = () =>
    page
      .locator('[data-testid="change-row"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));

  it("list: owner badge with 'claimed … ago', overlap warnings, and the claimed filter", async () => {
    await api.client.agents.claim.mutate({
      id: await idOf("add-login"),
      owner: "agent-7",
      leaseSeconds: 600,
    });
    await page.goto(webUrl);
    await page.waitForSelector('[data-testid="claim-badge"]');
    const row = page.locator('[data-testid="change-row"][data-name="add-login"]');
    expect(await row.locator('[data-testid="claim-badge"]').innerText()).toMatch(
      /agent-7\s*claimed just now/,
    );
    expect(
      await page
        .locator(
          '[data-testid="change-row"][data-name="fix-login"] [data-testid="overlap-warning"]',
        )
        .innerText(),
    ).toContain("overlaps add-login");
    expect(
      await page
        .locator('[data-testid="change-row"][data-name="add-docs"] [data-testid="overlap-warning"]')
        .count(),
    ).toBe(0);
    await page.selectOption('[data-testid="filter-claimed"]', "yes");
    await waitFor(
      async () => JSON.stringify(await rowNames()) === JSON.stringify(["add-login"]),
      10_000,
      "claimed filter",
    );
    await page.selectOption('[data-testid="filter-claimed"]', "no");
    await waitFor(
      async () => (await rowNames()).sort().join() === "add-docs,fix-login",
      10_000,
      "unclaimed filter",
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "agents-list.png") });
  });

  it("change page of a claimed change shows its owner", async () => {
    await page.goto(`${webUrl}/changes/${await idOf("add-login")}`);
    await page.waitForSelector('[data-testid="agents-panel"] [data-testid="claim-badge"]');
    expect(
      await page.locator('[data-testid="agents-panel"] [data-testid="claim-badge"]').innerText(),
    ).toMatch(/agent-7\s*claimed just now/);
  });

  it("change page: claim, overlaps with the requirement, and a dependencies editor that refuses a cycle", async () => {
    await page.goto(`${webUrl}/changes/${await idOf("fix-login")}`);
    await page.waitForSelector('[data-testid="overlap"]');
    expect(await page.locator('[data-testid="overlap"]').innerText()).toMatch(
      /add-login\s+demo: Demo behaviour/,
    );
    await page.selectOption('[data-testid="dependency-select"]', { label: "add-docs" });
    await page.click('[data-testid="dependency-add"]');
    await page.waitForSelector('[data-testid="dependency"]');
    expect(await page.locator('[data-testid="blocked"]').innerText()).toContain("add-docs");
    expect(
      (await api.client.agents.dependencies.query({ id: await idOf("fix-login") })).dependsOn.map(
        (d) => d.name,
      ),
    ).toEqual(["add-docs"]);
    await page.screenshot({ path: path.join(ARTIFACTS, "agents-change-page.png") });

    // The other direction would close a cycle: the error is shown, nothing is stored.
    await page.goto(`${webUrl}/changes/${await idOf("add-docs")}`);
    await page.waitForSelector('[data-testid="dependency-select"]');
    await page.selectOption('[data-testid="dependency-select"]', { label: "fix-login" });
    await page.click('[data-testid="dependency-add"]');
    await page.waitForSelector("text=/cycle add-docs → fix-login → add-docs/");
    expect(
      (await api.client.agents.dependencies.query({ id: await idOf("add-docs") })).dependsOn,
    ).toEqual([]);
  });
});
