import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { changeFiles, MAIN_SPEC } from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

const BROKEN_DELTA =
  "## ADDED Requirements\n### Requirement: Broken behaviour\nThe system SHALL break.\n";
const LOUD_DELTA =
  "## MODIFIED Requirements\n### Requirement: Demo behaviour\nThe system SHALL demo loudly.\n\n#### Scenario: Demo works\n- **WHEN** a user demos\n- **THEN** it works, loudly\n";

describe.skipIf(!haveChromium)(
  "change lifecycle in headless Chromium (new, validate, archive, stage, board, summary)",
  () => {
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
          ...changeFiles("add-loud", "Make the demo loud"),
          "changes/add-loud/specs/demo/spec.md": LOUD_DELTA,
          ...changeFiles("add-broken", "A broken change"),
          "changes/add-broken/specs/demo/spec.md": BROKEN_DELTA,
          ...changeFiles("add-done", "Everything done"),
          "changes/add-done/tasks.md": "- [x] 1.1 a\n- [x] 1.2 b\n",
          ...changeFiles("add-board-a", "Board card A"),
          ...changeFiles("add-board-b", "Board card B"),
          "specs/demo/spec.md": MAIN_SPEC,
        },
      });
      ({ api, webUrl, browser, root } = stack);
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    }, 300_000);

    afterAll(() => stack?.stop());

    /**
     * The page has hydrated (its live-update stream is open): a <select> changed before that fires
     * no React onChange, and React then puts the controlled value back (a loaded CI machine hit it).
     */
    const hydrated = () =>
      page.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
        state: "attached",
        timeout: 15_000,
      });
    const row = async (name: string) =>
      (
        await api.client.specs.list.query({ kind: "change", search: name, archived: undefined })
      ).items.find((i) => i.name === name)!;

    it("New change: a bad name is refused as you type; a good one runs `openspec new change` and opens the proposal in the editor", async () => {
      await page.goto(webUrl);
      await page.click('[data-testid="new-change"]');
      await page.fill('[data-testid="new-change-name"]', "Add Dark Mode");
      await page.waitForSelector('[data-testid="new-change-name-error"]');
      expect(await page.isDisabled('[data-testid="new-change-submit"]')).toBe(true);
      await page.fill('[data-testid="new-change-name"]', "add-dark-mode");
      await page.fill('[data-testid="new-change-goal"]', "Work at night");
      await page.click('[data-testid="new-change-submit"]');
      await page.waitForURL(/\/p\/[^/]+\/changes\/add-dark-mode\?edit=proposal\.md/, {
        timeout: 15_000,
      }); // the readable address
      await page.waitForSelector('[data-testid="editor"] .cm-content');
      expect(await page.textContent('[data-testid="editor"] .cm-content')).toContain(
        "Work at night",
      );
      expect(readFileSync(file("changes/add-dark-mode/.openspec.yaml"), "utf8")).toMatch(
        /goal: Work at night/,
      );
      expect(existsSync(file("changes/add-dark-mode/proposal.md"))).toBe(false); // nothing written until saved
      await page.keyboard.press("Control+s");
      await waitFor(
        () => existsSync(file("changes/add-dark-mode/proposal.md")),
        10_000,
        "proposal saved",
      );
      const history = await api.client.sync.history.query({
        specId: (await row("add-dark-mode")).id,
      });
      expect(history.items.some((h) => h.trigger === "lifecycle" && h.action === "created")).toBe(
        true,
      );
    });

    it("stage next to the status on the list, a flag when they disagree; the validation filter and badge", async () => {
      await api.client.specs.setStatus.mutate({
        id: (await row("add-done")).id,
        status: "approved",
      });
      await api.client.changes.validate.mutate({ id: (await row("add-broken")).id });
      await page.goto(webUrl);
      const done = page.locator('[data-testid="change-row"][data-name="add-done"]');
      await done.locator('[data-stage="complete"]').waitFor();
      await done.locator('[data-testid="status-mismatch"]').waitFor();
      expect(
        await page
          .locator('[data-testid="change-row"][data-name="add-loud"] [data-stage="in_progress"]')
          .count(),
      ).toBe(1);
      await hydrated();
      await page.selectOption('[data-testid="filter-validation"]', "1");
      // add-dark-mode was validated after its proposal was saved (no delta specs yet: an error).
      await waitFor(
        async () => {
          const names = await page
            .locator('[data-testid="change-row"]')
            .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
          return names.sort().join() === "add-broken,add-dark-mode";
        },
        10_000,
        "validation filter",
      );
      expect(
        await page.textContent(
          '[data-testid="change-row"][data-name="add-broken"] [data-testid="validation-badge"]',
        ),
      ).toMatch(/1 error/);
      await page.screenshot({ path: path.join(ARTIFACTS, "lifecycle-list.png") });
    });

    it("Validate on the change page lists findings at file:line and marks the line in the editor", async () => {
      const id = (await row("add-broken")).id;
      await page.goto(`${webUrl}/changes/${id}`);
      await page.click('[data-testid="validate-button"]');
      const finding = page
        .locator('[data-testid="validation-finding"][data-level="ERROR"]')
        .first();
      await finding.waitFor();
      expect(await finding.textContent()).toMatch(
        /specs\/demo\/spec\.md:2.*"Broken behaviour" must include at least one scenario/,
      );
      await finding.locator("button").click();
      await page.waitForURL(/tab=deltas/);
      await page.click('[data-testid="edit-button"]');
      await page.waitForSelector(".cm-lint-marker-error");
      await page.screenshot({ path: path.join(ARTIFACTS, "validation.png") });
    });

    it("Archive: the failure shows the CLI's message and moves nothing; choosing 'archived' previews, then archives", async () => {
      await page.goto(`${webUrl}/changes/${(await row("add-broken")).id}?archive=1`);
      await page.click('[data-testid="archive-confirm"]');
      expect(
        await (await page.waitForSelector('[data-testid="archive-error"]')).textContent(),
      ).toMatch(/Validation failed for change 'add-broken'/);
      expect(existsSync(file("changes/add-broken/proposal.md"))).toBe(true);
      await page.keyboard.press("Escape");

      const id = (await row("add-loud")).id;
      await page.goto(`${webUrl}/changes/${id}`);
      await hydrated();
      await page.selectOption('[data-testid="status-select"]', "archived");
      await page.waitForSelector('[data-testid="archive-dialog"]');
      const req = page.locator('[data-testid="preview-requirement"][data-op="MODIFIED"]');
      await req.waitFor();
      expect((await req.locator('[data-diff="added"]').allTextContents()).join("")).toContain(
        "demo loudly",
      );
      expect((await req.locator('[data-diff="removed"]').allTextContents()).join("")).toContain(
        "The system SHALL demo.",
      );
      await page.screenshot({ path: path.join(ARTIFACTS, "archive-preview.png") });
      await page.click('[data-testid="archive-confirm"]');
      await waitFor(() => !existsSync(file("changes/add-loud")), 20_000, "archived on disk");
      expect(readdirSync(file("changes/archive")).some((n) => n.endsWith("-add-loud"))).toBe(true);
      expect(readFileSync(file("specs/demo/spec.md"), "utf8")).toContain("demo loudly");
      await waitFor(
        async () => (await page.textContent('[data-testid="status-badge"]')) === "Archived",
        10_000,
        "page shows archived",
      );
      expect(await page.locator('[data-testid="archive-button"]').count()).toBe(0);
    });

    it("Board: keyboard move, drag and drop, multi-select bulk priority; each recorded in history", async () => {
      const a = await row("add-board-a");
      const b = await row("add-board-b");
      expect(a.status).toBe("in_progress");
      await page.goto(`${webUrl}/board`);
      const cardA = page.locator(`[data-testid="board-card"][data-name="add-board-a"]`);
      await cardA.focus();
      await page.keyboard.press("Shift+ArrowRight");
      await waitFor(
        async () => (await row("add-board-a")).status === "review",
        10_000,
        "keyboard move",
      );
      await page
        .locator(
          '[data-testid="column-review"] [data-testid="board-card"][data-name="add-board-a"]',
        )
        .waitFor();

      await page.dragAndDrop(
        `[data-testid="board-card"][data-name="add-board-b"]`,
        '[data-testid="column-approved"]',
      );
      await waitFor(
        async () => (await row("add-board-b")).status === "approved",
        10_000,
        "drag and drop",
      );

      await page.locator(`[data-testid="board-card"][data-name="add-board-a"]`).focus();
      await page.keyboard.press(" ");
      await page
        .locator(`[data-testid="board-card"][data-name="add-board-b"] [data-testid="card-select"]`)
        .check();
      await page.waitForSelector('[data-testid="bulk-bar"]');
      await page.selectOption('[data-testid="bulk-priority"]', "high");
      await page.click('[data-testid="bulk-apply"]');
      await waitFor(
        async () =>
          (await row("add-board-a")).priority === "high" &&
          (await row("add-board-b")).priority === "high",
        10_000,
        "bulk priority",
      );
      await page.screenshot({ path: path.join(ARTIFACTS, "board-lifecycle.png") });
      const notes = (await api.client.sync.history.query({ specId: b.id })).items
        .filter((h) => h.trigger === "lifecycle")
        .map((h) => h.note);
      expect(notes).toEqual(["priority none → high", "status in_progress → approved"]);
    });

    it("Summary: specs, requirements, stages, validation errors, disagreeing statuses, live", async () => {
      await page.goto(`${webUrl}/summary`);
      await page.waitForSelector('[data-testid="summary-specs"]');
      expect(await page.textContent('[data-testid="summary-specs"]')).toBe("1");
      expect(await page.textContent('[data-testid="summary-invalid"]')).toContain("add-broken");
      expect(await page.textContent('[data-testid="summary-mismatched"]')).toContain("add-done");
      expect(
        await page.textContent('[data-testid="summary-stages"] [data-stage="archived"]'),
      ).toContain("1");
      // Live: ticking the last tasks of a change on disk moves it to "all tasks done" without a
      // reload.
      const before = await page.textContent(
        '[data-testid="summary-stages"] [data-stage="complete"]',
      );
      await api.client.specs.setStatus.mutate({
        id: (await row("add-board-a")).id,
        status: "applied",
      });
      const tasks = await api.client.specs.get.query({ id: (await row("add-board-a")).id });
      for (const t of tasks.tasks.filter((t) => !t.done)) {
        const cur = await api.client.specs.get.query({ id: tasks.id });
        await api.client.specs.toggleTask.mutate({
          id: tasks.id,
          taskId: t.id,
          done: true,
          baseHash: cur.contentHashes["tasks.md"]!,
        });
      }
      await waitFor(
        async () =>
          (await page.textContent('[data-testid="summary-stages"] [data-stage="complete"]')) !==
          before,
        10_000,
        "summary updates live",
      );
      await page.screenshot({ path: path.join(ARTIFACTS, "summary.png") });
    });
  },
);
