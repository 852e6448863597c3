import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { changeFiles, MAIN_SPEC, openspecRaw } from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

describe.skipIf(!haveChromium)("web UI in headless Chromium", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let root: string;
  const file = (rel: string) => path.join(root, "openspec", rel);

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: {
        ...changeFiles("add-search", "Add full-text search"),
        ...changeFiles("fix-login", "Fix login redirect"),
        ...changeFiles("add-export", "Add CSV export"),
        "specs/demo/spec.md": MAIN_SPEC,
      },
    });
    ({ api, webUrl, browser, root } = stack);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 300_000);

  afterAll(() => stack?.stop());

  const idOf = async (name: string) =>
    (await api.client.specs.list.query({ kind: "change", search: name })).items.find(
      (i) => i.name === name,
    )!.id;
  const live = () =>
    page.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
      state: "attached",
      timeout: 15_000,
    });

  it("lists changes; search and status filters narrow the list and live in the URL", async () => {
    await page.goto(webUrl);
    await page.waitForSelector('[data-testid="change-row"]');
    expect(await page.locator('[data-testid="change-row"]').count()).toBe(3);
    await page.screenshot({ path: path.join(ARTIFACTS, "changes-list.png") });
    await page.fill('[data-testid="search"]', "export");
    await waitFor(
      async () => (await page.locator('[data-testid="change-row"]').count()) === 1,
      10_000,
      "search narrows",
    );
    expect(page.url()).toContain("q=export");
    await page.fill('[data-testid="search"]', "");
    await api.client.specs.setStatus.mutate({ id: await idOf("fix-login"), status: "approved" });
    await page.selectOption('[data-testid="filter-status"]', "approved");
    await waitFor(
      async () => {
        const names = await page
          .locator('[data-testid="change-row"]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
        return names.length === 1 && names[0] === "fix-login";
      },
      10_000,
      "status filter",
    );
    expect(page.url()).toContain("status=approved");
    await page.goto(`${webUrl}/board`);
    await page.waitForSelector('[data-testid="column-approved"] a');
    await page.screenshot({ path: path.join(ARTIFACTS, "board.png") });
  });

  it("edits a proposal in the browser: the file on disk has the new bytes and `openspec validate` still passes", async () => {
    const id = await idOf("add-search");
    await page.goto(`${webUrl}/changes/${id}`);
    await page.waitForSelector('[data-testid="rendered"]');
    await page.screenshot({ path: path.join(ARTIFACTS, "change-page.png") });
    await page.click('[data-testid="edit-button"]');
    await page.waitForSelector(".cm-content");
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nEdited in the browser.\n");
    await page.screenshot({ path: path.join(ARTIFACTS, "editor.png") });
    await page.keyboard.press("Control+s");
    await waitFor(
      () =>
        readFileSync(file("changes/add-search/proposal.md"), "utf8").includes(
          "Edited in the browser.",
        ),
      10_000,
      "file written",
    );
    const onDisk = readFileSync(file("changes/add-search/proposal.md"), "utf8");
    expect(onDisk.startsWith("# Change: Add full-text search\n")).toBe(true);
    expect((await openspecRaw(root, ["validate", "add-search", "--type", "change"])).code).toBe(0);
  });

  it("a file written on disk shows up in the open page without a reload", async () => {
    const id = await idOf("fix-login");
    await page.goto(`${webUrl}/changes/${id}`);
    await page.waitForSelector('[data-testid="change-heading"]');
    await live();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const proposal = readFileSync(file("changes/fix-login/proposal.md"), "utf8");
    writeFileSync(
      file("changes/fix-login/proposal.md"),
      proposal.replace("# Change: Fix login redirect", "# Change: Fix login redirect loop"),
    );
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="change-heading"]')?.textContent ===
        "Fix login redirect loop",
      undefined,
      { timeout: 5_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // same page, no reload
  });

  it("toggling a task changes exactly one byte on disk", async () => {
    const id = await idOf("add-export");
    const before = readFileSync(file("changes/add-export/tasks.md"));
    await page.goto(`${webUrl}/changes/${id}?tab=tasks`);
    await page.waitForSelector('[data-testid="task-1.1"]');
    await page.click('[data-testid="task-1.1"]');
    await waitFor(
      () => !readFileSync(file("changes/add-export/tasks.md")).equals(before),
      10_000,
      "task written",
    );
    const after = readFileSync(file("changes/add-export/tasks.md"));
    expect(after.length).toBe(before.length);
    expect([...after].filter((b, i) => b !== before[i])).toEqual(["x".charCodeAt(0)]);
    expect(await page.isChecked('[data-testid="task-1.1"]')).toBe(true);
  });

  it("conflict flow: a disk save during an edit opens the diff; overwriting keeps the disk version in history", async () => {
    const id = await idOf("add-export");
    await page.goto(`${webUrl}/changes/${id}`);
    await page.waitForSelector('[data-testid="edit-button"]');
    await live();
    await page.click('[data-testid="edit-button"]');
    await page.waitForSelector(".cm-content");
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nMy browser edit.\n");
    const diskVersion = `${readFileSync(file("changes/add-export/proposal.md"), "utf8")}\nAn agent wrote this on disk.\n`;
    writeFileSync(file("changes/add-export/proposal.md"), diskVersion);
    await waitFor(
      async () => (await api.client.specs.get.query({ id })).files["proposal.md"] === diskVersion,
      5_000,
      "disk edit synced",
    );
    await page.click('[data-testid="save-button"]');
    await page.waitForSelector('[data-testid="conflict-dialog"]');
    expect(await page.textContent('[data-testid="conflict-dialog"]')).toContain(
      "An agent wrote this on disk.",
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "conflict.png") });
    await page.click('[data-testid="overwrite-mine"]');
    await waitFor(
      () =>
        readFileSync(file("changes/add-export/proposal.md"), "utf8").includes("My browser edit."),
      10_000,
      "overwrite written",
    );
    expect(readFileSync(file("changes/add-export/proposal.md"), "utf8")).not.toContain(
      "An agent wrote this on disk.",
    );
    // The history row is written just after the rename (the file can be seen a moment before it).
    const kept = await waitFor(
      async () =>
        (await api.client.sync.history.query({ specId: id, limit: 50 })).items.find((h) =>
          h.previousContent?.["proposal.md"]?.includes("An agent wrote this on disk."),
        ),
      5_000,
      "the replaced disk version kept in history",
    );
    expect(kept.previousContent?.["proposal.md"]).toBe(diskVersion);
  });

  it("specs browser and sync panel render", async () => {
    await page.goto(`${webUrl}/specs`);
    await page.waitForSelector('[data-testid="requirements"] >> text=The system SHALL demo.');
    await page.screenshot({ path: path.join(ARTIFACTS, "specs.png") });
    await page.goto(`${webUrl}/sync`);
    await page.waitForSelector('[data-testid="project-row"]');
    await page.waitForSelector('[data-testid="history-table"] tbody tr');
    await page.screenshot({ path: path.join(ARTIFACTS, "sync.png") });
  });
});
