import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { changeFiles, PROPOSAL } from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, Dialog, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

/*
 * Nothing a person types is lost: three-way merge on save, the conflict dialog, queued task clicks,
 * local drafts and navigation guards, the live "changed on disk" banner, the dark editor, the
 * sticky toolbar. Real Chromium, the built app (`pnpm -F @specsync/web build`; built here when
 * missing), a real server.
 */
const TWELVE_TASKS =
  "## 1. Work\n" +
  Array.from({ length: 12 }, (_, i) => `- [ ] 1.${i + 1} Task number ${i + 1}\n`).join("");
const LONG = PROPOSAL(
  "Long document",
  Array.from({ length: 150 }, (_, i) => `- Point ${i + 1} of a long list.\n`).join(""),
);
/** ~40 KB: more than fits in a URL, so the merge preview must travel in a request body. */
const BIG = PROPOSAL(
  "Merge now",
  Array.from(
    { length: 800 },
    (_, i) => `- Requirement note ${i + 1}: the system keeps every word typed.\n`,
  ).join(""),
);
const MARKDOWN = PROPOSAL(
  "Dark editor",
  "- A [link](https://example.com), `code`, *emphasis* and **strong**.\n> A quote.\n",
);

describe.skipIf(!haveChromium)("editing in headless Chromium: nothing typed is lost", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let root: string;
  /** How the next confirm()/beforeunload is answered; every dialog seen is recorded. */
  let answer: "accept" | "dismiss" = "accept";
  const dialogs: { type: string; message: string }[] = [];
  const file = (rel: string) => path.join(root, "openspec", rel);
  const read = (rel: string) => readFileSync(file(rel), "utf8");

  const onDialog = (d: Dialog) => {
    dialogs.push({ type: d.type(), message: d.message() });
    void (answer === "accept" ? d.accept() : d.dismiss());
  };
  const newPage = async (opts: { dark?: boolean } = {}) => {
    const ctx = await browser.newContext({
      viewport: { width: 1300, height: 850 },
      colorScheme: opts.dark ? "dark" : "light",
    });
    const p = await ctx.newPage();
    p.on("dialog", onDialog);
    return p;
  };

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: {
        ...changeFiles("merge-clean", "Merge clean"),
        ...changeFiles("merge-now", "Merge now"),
        "changes/merge-now/proposal.md": BIG,
        ...changeFiles("merge-conflict", "Merge conflict"),
        ...changeFiles("resolve-in-dialog", "Resolve in dialog"),
        ...changeFiles("fast-tasks", "Fast tasks"),
        "changes/fast-tasks/tasks.md": TWELVE_TASKS,
        ...changeFiles("drafts", "Drafts"),
        ...changeFiles("nav-guard", "Navigation guard"),
        ...changeFiles("long-doc", "Long document"),
        "changes/long-doc/proposal.md": LONG,
        ...changeFiles("dark-editor", "Dark editor"),
        "changes/dark-editor/proposal.md": MARKDOWN,
      },
    });
    ({ api, webUrl, browser, root } = stack);
    page = await newPage();
  }, 300_000);

  afterAll(() => stack?.stop());

  const idOf = async (name: string) =>
    (await api.client.specs.list.query({ kind: "change", search: name })).items.find(
      (i) => i.name === name,
    )!.id;
  /**
   * The readable address of a row (`/p/<project>/changes/<name>…`): where its old
   * `/changes/<id>` link redirects.
   */
  const hrefOf = async (id: string, query = "") => {
    const res = await fetch(`${webUrl}/changes/${id}${query}`, { redirect: "manual" });
    expect(res.status, "old /changes/<id> links redirect").toBe(307);
    const to = new URL(res.headers.get("location")!, webUrl);
    expect(to.pathname).toMatch(/^\/p\/[^/]+\/changes\/[^/]+$/);
    return to.pathname + to.search;
  };
  const live = (p: Page = page) =>
    p.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
      state: "attached",
      timeout: 15_000,
    });
  const synced = (id: string, rel: string, content: string) =>
    waitFor(
      async () => (await api.client.specs.get.query({ id })).files[rel] === content,
      10_000,
      `${rel} synced`,
    );
  /** The editor's text as rendered (the test documents are short enough to be rendered whole). */
  const editorText = (p: Page, testId = "editor") =>
    p.$$eval(`[data-testid="${testId}"] .cm-line`, (lines) =>
      lines.map((l) => l.textContent).join("\n"),
    );

  async function openEditor(p: Page, name: string, query = "") {
    const id = await idOf(name);
    await p.goto(webUrl + (await hrefOf(id, query)));
    await live(p);
    await p.click('[data-testid="edit-button"]');
    await p.waitForSelector('[data-testid="editor"] .cm-content');
    return id;
  }
  /** Replace one whole line of the editor (1-based) by typing, as a person would. */
  async function retypeLine(p: Page, line: number, text: string) {
    await p.click('[data-testid="editor"] .cm-content');
    await p.keyboard.press("Control+Home");
    for (let i = 1; i < line; i++) await p.keyboard.press("ArrowDown");
    await p.keyboard.press("End");
    await p.keyboard.press("Shift+Home");
    await p.keyboard.type(text);
  }

  it("1. edits to different lines of the browser and the disk merge on save, without a dialog", async () => {
    const id = await openEditor(page, "merge-clean");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nA line typed in the browser.\n");
    const disk = read("changes/merge-clean/proposal.md").replace(
      "# Change: Merge clean",
      "# Change: Merge clean, renamed on disk",
    );
    writeFileSync(file("changes/merge-clean/proposal.md"), disk);
    await synced(id, "proposal.md", disk);
    await page.click('[data-testid="save-button"]');
    await page.waitForSelector('[data-testid="toast"]:has-text("merged")');
    expect(await page.locator('[data-testid="conflict-dialog"]').count()).toBe(0);
    expect(read("changes/merge-clean/proposal.md")).toBe(`${disk}\nA line typed in the browser.\n`);
  });

  it("1. overlapping edits: the dialog shows the merged text; Tab stays inside, Esc returns to the editor; keep disk keeps my text in history, restorable", async () => {
    const id = await openEditor(page, "merge-conflict");
    await retypeLine(page, 4, "Because the browser says so.");
    const mine = await editorText(page);
    const disk = read("changes/merge-conflict/proposal.md").replace(
      "Because it matters.",
      "Because the disk says so.",
    );
    writeFileSync(file("changes/merge-conflict/proposal.md"), disk);
    await synced(id, "proposal.md", disk);
    await page.keyboard.press("Control+s");
    await page.waitForSelector('[data-testid="conflict-dialog"]');
    const merged = await editorText(page, "merge-editor");
    expect(merged).toContain(
      "<<<<<<< on disk\nBecause the disk says so.\n=======\nBecause the browser says so.\n>>>>>>> yours\n",
    );
    expect(merged.startsWith("# Change: Merge conflict\n")).toBe(true);
    // Focus is trapped: twelve Tabs forwards and backwards never leave the dialog.
    for (const key of [...Array(12).fill("Tab"), ...Array(12).fill("Shift+Tab")]) {
      await page.keyboard.press(key);
      expect(
        await page.evaluate(
          () => !!document.activeElement?.closest('[data-testid="conflict-dialog"]'),
        ),
      ).toBe(true);
    }
    await page.keyboard.press("Escape");
    await page.waitForSelector('[data-testid="conflict-dialog"]', { state: "detached" });
    await waitFor(
      () => page.evaluate(() => !!document.activeElement?.closest('[data-testid="editor"]')),
      3_000,
      "focus back in the editor",
    );
    expect(await editorText(page)).toBe(mine);
    // Again, and this time keep the disk version.
    await page.click('[data-testid="save-button"]');
    await page.click('[data-testid="keep-disk"]');
    const toast = page.locator('[data-testid="toast"]:has-text("draft discarded by web")');
    await toast.waitFor();
    expect(await toast.textContent()).toContain("History");
    expect(read("changes/merge-conflict/proposal.md")).toBe(disk);
    const kept = (await api.client.sync.history.query({ specId: id, limit: 20 })).items.find(
      (h) => h.action === "draft_discarded",
    );
    expect(kept).toMatchObject({ actor: "web", previousContent: { "proposal.md": mine } });
    // Restorable like any version, from the History tab: the entry says in words what it is, shows
    // the draft against the disk version kept, and its button writes the draft back to disk.
    await page.goto(webUrl + (await hrefOf(id, "?tab=history")));
    const entry = page.locator('[data-testid="history-entry"][data-action="draft_discarded"]');
    expect(await entry.locator('[data-testid="history-what"]').textContent()).toBe(
      "Unsaved draft of proposal.md discarded by web",
    );
    const diff = await entry.locator('[data-testid="history-diff"]').textContent();
    expect(diff).toContain("+ Because the browser says so.");
    expect(diff).toContain("- Because the disk says so.");
    await entry.getByRole("button", { name: "Restore discarded draft" }).click();
    await waitFor(
      () => read("changes/merge-conflict/proposal.md") === mine,
      10_000,
      "discarded text restored to disk",
    );
    await page.waitForSelector('[data-testid="toast"]:has-text("Restored proposal.md")');
  });

  it("1. the conflict regions are edited in the dialog: markers are refused, the resolved text is saved", async () => {
    const id = await openEditor(page, "resolve-in-dialog");
    await retypeLine(page, 4, "Mine.");
    const disk = read("changes/resolve-in-dialog/proposal.md").replace(
      "Because it matters.",
      "Theirs.",
    );
    writeFileSync(file("changes/resolve-in-dialog/proposal.md"), disk);
    await synced(id, "proposal.md", disk);
    await page.click('[data-testid="save-button"]');
    await page.waitForSelector('[data-testid="conflict-dialog"]');
    await page.click('[data-testid="save-merged"]');
    await page.waitForSelector('[data-testid="merge-error"]');
    expect(read("changes/resolve-in-dialog/proposal.md")).toBe(disk);
    const resolved = disk.replace("Theirs.", "Theirs and mine, resolved by hand.");
    await page.click('[data-testid="merge-editor"] .cm-content');
    await page.keyboard.press("Control+a");
    await page.keyboard.insertText(resolved);
    await page.click('[data-testid="save-merged"]');
    await waitFor(
      () => read("changes/resolve-in-dialog/proposal.md") === resolved,
      10_000,
      "resolved text saved",
    );
    await page.waitForSelector('[data-testid="conflict-dialog"]', { state: "detached" });
  });

  it("2. ten task clicks 100 ms apart: all ten on disk, exactly ten bytes changed; a click racing a disk edit of another task keeps both", async () => {
    const id = await idOf("fast-tasks");
    const before = readFileSync(file("changes/fast-tasks/tasks.md"));
    await page.goto(webUrl + (await hrefOf(id, "?tab=tasks")));
    await live();
    await page.waitForSelector('[data-testid="task-1.1"]');
    // A network as slow as a real one (each toggle request reaches the server 250 ms late): clicks
    // 100 ms apart are then all made before the first one has been answered.
    const isToggle = (u: URL) => u.pathname.includes("specs.toggleTask");
    await page.route(isToggle, async (route) => {
      await new Promise((r) => setTimeout(r, 250));
      await route.continue();
    });
    for (let i = 1; i <= 10; i++) {
      await page.click(`[data-testid="task-1.${i}"]`);
      await page.waitForTimeout(100);
    }
    const lastClick = Date.now();
    await waitFor(
      () => (read("changes/fast-tasks/tasks.md").match(/- \[x\]/g) ?? []).length === 10,
      20_000,
      "ten ticks on disk",
    );
    console.log(
      `[measure] 10 task clicks 100 ms apart: all on disk ${Date.now() - lastClick} ms after the last click`,
    );
    const after = readFileSync(file("changes/fast-tasks/tasks.md"));
    expect(after.length).toBe(before.length);
    expect([...after].filter((b, i) => b !== before[i])).toEqual(Array(10).fill("x".charCodeAt(0)));
    const allChecked = async () =>
      (
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => page.isChecked(`[data-testid="task-1.${i + 1}"]`)),
        )
      ).every(Boolean);
    await waitFor(allChecked, 10_000, "all ten shown checked");
    expect(await page.locator('[data-testid="toast"]:has-text("not updated")').count()).toBe(0);
    // An agent ticks 1.12 on disk while the person's click on 1.11 is on its way: the disk edit
    // lands (and is imported) after the click was made on the older version, before the click
    // reaches the server.
    await page.unroute(isToggle);
    await page.route(
      isToggle,
      async (route) => {
        const edited = read("changes/fast-tasks/tasks.md").replace("- [ ] 1.12", "- [x] 1.12");
        writeFileSync(file("changes/fast-tasks/tasks.md"), edited);
        await synced(id, "tasks.md", edited);
        await route.continue();
      },
      { times: 1 },
    );
    await page.click('[data-testid="task-1.11"]');
    await waitFor(
      () => /- \[x\] 1\.11 /.test(read("changes/fast-tasks/tasks.md")),
      10_000,
      "1.11 ticked",
    );
    expect(read("changes/fast-tasks/tasks.md")).toContain("- [x] 1.12 Task number 12");
    // A hurried double click on one task: unticked, then ticked again; both clicks applied. On a
    // slow phone's CPU (6× throttled) the first click's answer and refetch can land before React
    // has committed them, so the second click is handled by the previous render.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 6 });
    await page.click('[data-testid="task-1.1"]');
    await page.click('[data-testid="task-1.1"]');
    await page.waitForSelector('[data-testid="tasks-panel"][data-saving="false"]');
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
    await waitFor(
      async () => {
        const { tasksCompleted } = await api.client.specs.get.query({ id });
        if (tasksCompleted === 12) return true;
        const onDisk = (read("changes/fast-tasks/tasks.md").match(/- \[x\]/g) ?? []).length;
        const toasts = await page.locator('[data-testid="toast"]').allInnerTexts();
        const recent = (await api.client.sync.history.query({ specId: id, limit: 4 })).items.map(
          (h) => `${h.action}/${h.trigger}`,
        );
        throw new Error(
          `database says ${tasksCompleted} done, disk ${onDisk}; 1.1 shown ${(await page.isChecked('[data-testid="task-1.1"]')) ? "checked" : "unchecked"}; toasts ${JSON.stringify(toasts)}; history ${recent.join(", ")}`,
        );
      },
      10_000,
      "all settled",
    );
    expect(read("changes/fast-tasks/tasks.md")).toContain("- [x] 1.1 Task number 1\n");
    expect(await page.isChecked('[data-testid="task-1.1"]')).toBe(true);
  });

  it("3. a draft survives a reload and is offered back, on the version it was made on; saving it merges with a disk edit made since", async () => {
    const id = await openEditor(page, "drafts");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nTyped before the tab was reloaded.\n");
    answer = "accept";
    await page.reload(); // beforeunload asks; accepted
    expect(dialogs.some((d) => d.type === "beforeunload")).toBe(true);
    const disk = read("changes/drafts/proposal.md").replace(
      "# Change: Drafts",
      "# Change: Drafts, renamed on disk meanwhile",
    );
    writeFileSync(file("changes/drafts/proposal.md"), disk);
    await synced(id, "proposal.md", disk);
    // The page's first HTML may predate the disk edit (server prefetch): the offer follows it live.
    await page.waitForSelector('[data-testid="draft-offer"]:has-text("earlier version")', {
      timeout: 10_000,
    });
    await page.click('[data-testid="draft-restore"]');
    expect(await editorText(page)).toContain("Typed before the tab was reloaded.");
    await page.keyboard.press("Control+s");
    await waitFor(
      () => read("changes/drafts/proposal.md") === `${disk}\nTyped before the tab was reloaded.\n`,
      10_000,
      "draft saved, merged",
    );
    // Saved drafts are not offered again.
    await page.reload();
    await page.waitForSelector('[data-testid="rendered"]');
    expect(await page.locator('[data-testid="draft-offer"]').count()).toBe(0);
  });

  it("3. an in-app link with unsaved text asks first; staying keeps the text, leaving keeps it as a draft; closing the tab asks too", async () => {
    const id = await openEditor(page, "nav-guard");
    const href = await hrefOf(id);
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nDo not lose me.\n");
    dialogs.length = 0;
    answer = "dismiss";
    await page.click('nav a[href="/"]');
    await waitFor(
      () =>
        dialogs.some(
          (d) => d.type === "confirm" && d.message.includes("unsaved changes to proposal.md"),
        ),
      3_000,
      "confirm asked",
    );
    await page.waitForTimeout(300);
    expect(new URL(page.url()).pathname).toBe(href);
    expect(await editorText(page)).toContain("Do not lose me.");
    answer = "accept";
    await page.click('nav a[href="/"]');
    await page.waitForURL((u) => u.pathname === "/");
    await page.goto(webUrl + href);
    await page.waitForSelector('[data-testid="draft-offer"]');
    await page.click('[data-testid="draft-restore"]');
    expect(await editorText(page)).toContain("Do not lose me.");
    // Closing the tab: the browser's own "leave site?" question.
    const other = await page.context().newPage(); // a second tab: same localStorage
    other.on("dialog", onDialog);
    await other.goto(webUrl + href);
    await other.click('[data-testid="draft-offer"] [data-testid="draft-restore"]');
    await other.keyboard.type("x");
    dialogs.length = 0;
    answer = "dismiss";
    await other.close({ runBeforeUnload: true });
    await waitFor(
      () => dialogs.some((d) => d.type === "beforeunload"),
      3_000,
      "beforeunload asked",
    );
    answer = "accept";
    await other.close();
    // Cancel with unsaved text asks, then keeps the text in history.
    await page.click('[data-testid="cancel-button"]');
    await page.waitForSelector('[data-testid="toast"]:has-text("draft discarded by web")');
    const kept = (await api.client.sync.history.query({ specId: id, limit: 20 })).items.find(
      (h) => h.action === "draft_discarded",
    );
    expect(kept?.previousContent?.["proposal.md"]).toContain("Do not lose me.");
  });

  it("3. while editing, a live banner says the file changed on disk; merge now brings the disk's lines into the editor, unsaved", async () => {
    await openEditor(page, "merge-now");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nMine, still typing.\n");
    expect(await page.locator('[data-testid="changed-on-disk"]').count()).toBe(0);
    const disk = read("changes/merge-now/proposal.md").replace(
      "# Change: Merge now",
      "# Change: Merge now, edited by an agent",
    );
    const written = Date.now();
    writeFileSync(file("changes/merge-now/proposal.md"), disk);
    await page.waitForSelector('[data-testid="changed-on-disk"]', { timeout: 10_000 });
    console.log(
      `[measure] disk save → "changed on disk" banner in the open editor: ${Date.now() - written} ms`,
    );
    await page.click('[data-testid="merge-now"]');
    await page.waitForSelector('[data-testid="toast"]:has-text("Merged the newer proposal.md")');
    expect(await page.textContent('[data-testid="editor"] .cm-line')).toBe(
      "# Change: Merge now, edited by an agent",
    );
    expect(read("changes/merge-now/proposal.md")).toBe(disk); // not saved yet
    await page.waitForSelector('[data-testid="changed-on-disk"]', { state: "detached" });
    await page.keyboard.press("Control+s");
    await waitFor(
      () => read("changes/merge-now/proposal.md") === `${disk}\nMine, still typing.\n`,
      10_000,
      "saved",
    );
    expect(await page.locator('[data-testid="conflict-dialog"]').count()).toBe(0);
  });

  it("11. dark mode: the editor is dark and every piece of text in it has at least 4.5:1 contrast; the toggle switches it live", async () => {
    const p = await newPage();
    await openEditor(p, "dark-editor");
    const light = await p.$eval(
      '[data-testid="editor"] .cm-gutters',
      (el) => getComputedStyle(el).backgroundColor,
    );
    await p.click('button[aria-label="Toggle dark mode"]');
    await waitFor(
      async () =>
        (await p.$eval(
          '[data-testid="editor"] .cm-gutters',
          (el) => getComputedStyle(el).backgroundColor,
        )) !== light,
      3_000,
      "editor follows the toggle",
    );
    const report = await p.evaluate(() => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = (c: string) => {
        const [r, g, b] = rgb(c)
          .map((v) => v / 255)
          .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const bgOf = (el: Element | null): string => {
        for (let e = el; e; e = e.parentElement) {
          const c = getComputedStyle(e).backgroundColor;
          if (rgb(c).length === 3 || (rgb(c).length === 4 && rgb(c)[3]! > 0.5)) return c;
        }
        return "rgb(255, 255, 255)";
      };
      const ratio = (a: string, b: string) => {
        const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
        return (x! + 0.05) / (y! + 0.05);
      };
      const editor = document.querySelector('[data-testid="editor"] .cm-editor')!;
      const items = [
        ...editor.querySelectorAll(".cm-line, .cm-line span, .cm-gutterElement"),
      ].filter((e) => e.textContent?.trim());
      const worst = items
        .map((e) => ({
          text: e.textContent!.slice(0, 30),
          ratio: ratio(getComputedStyle(e).color, bgOf(e)),
        }))
        .sort((a, b) => a.ratio - b.ratio);
      return {
        editorBg: lum(bgOf(editor.querySelector(".cm-content"))),
        gutterBg: lum(bgOf(editor.querySelector(".cm-gutters"))),
        worst: worst.slice(0, 3),
        spans: items.length,
      };
    });
    expect(report.spans).toBeGreaterThan(10);
    expect(report.editorBg).toBeLessThan(0.05);
    expect(report.gutterBg).toBeLessThan(0.05);
    expect(report.worst[0]!.ratio, JSON.stringify(report.worst)).toBeGreaterThanOrEqual(4.5);
    await p.screenshot({ path: path.join(ARTIFACTS, "editor-dark.png") });
    await p.close();
  });

  it("14. the Save/Cancel toolbar stays in view in a long document; after saving, focus is on the Edit button", async () => {
    await openEditor(page, "long-doc");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nThe end.\n");
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(100);
    const visible = await page.$eval('[data-testid="save-button"]', (b) => {
      const r = b.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return r.top >= 0 && r.bottom <= window.innerHeight && !!hit && b.contains(hit);
    });
    expect(visible, "Save is visible and not covered").toBe(true);
    await page.click('[data-testid="save-button"]');
    await page.waitForSelector('[data-testid="rendered"]');
    await waitFor(
      () =>
        page.evaluate(() => document.activeElement?.getAttribute("data-testid") === "edit-button"),
      3_000,
      "focus on Edit",
    );
    expect(read("changes/long-doc/proposal.md")).toBe(`${LONG}\nThe end.\n`);
  });
});
