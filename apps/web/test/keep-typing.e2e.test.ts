import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

/*
 * Saving never takes the keyboard away (an outside tester's findings on a 4–6× throttled CPU):
 * keys typed right after Ctrl+S land in the editor, a second Ctrl+S during a save is queued and
 * saves the newer text on the version the first one wrote, a settled conflict leaves the editor
 * open. Real Chromium, the built app, a real server, real files.
 */
describe.skipIf(!haveChromium)("saving keeps the editor: keys typed after Ctrl+S are kept", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let root: string;
  const file = (rel: string) => path.join(root, "openspec", rel);
  const read = (rel: string) => readFileSync(file(rel), "utf8");

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: {
        ...changeFiles("type-after-save", "Type after save"),
        ...changeFiles("queued-save", "Queued save"),
        ...changeFiles("settle-and-type", "Settle and type"),
        ...changeFiles("phone-save", "Phone save"),
      },
    });
    ({ api, webUrl, browser, root } = stack);
    const ctx = await browser.newContext({ viewport: { width: 1300, height: 850 } });
    page = await ctx.newPage();
    page.on("dialog", (d) => void d.accept());
    cdp = await ctx.newCDPSession(page);
  }, 300_000);

  afterAll(() => stack?.stop());

  const idOf = async (name: string) => {
    const { items } = await api.client.specs.list.query({ kind: "change", search: name });
    const id = items.find((i) => i.name === name)?.id;
    if (!id) throw new Error(`no change ${name}`);
    return id;
  };
  const live = (p: Page = page) =>
    p.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
      state: "attached",
      timeout: 15_000,
    });
  const editorText = (p: Page = page) =>
    p.$$eval('[data-testid="editor"] .cm-line', (lines) =>
      lines.map((l) => l.textContent).join("\n"),
    );
  const focusInEditor = (p: Page = page) =>
    p.evaluate(() => !!document.activeElement?.closest('[data-testid="editor"]'));
  const saves = async (id: string) =>
    (await api.client.sync.history.query({ specId: id, limit: 20 })).items.filter(
      (h) => h.trigger === "user_edit",
    );
  async function openEditor(p: Page, name: string) {
    const id = await idOf(name);
    await p.goto(`${webUrl}/changes/${id}`);
    await live(p);
    await p.click('[data-testid="edit-button"]');
    await p.waitForSelector('[data-testid="editor"] .cm-content');
    return id;
  }
  const throttle = (rate: number) => cdp.send("Emulation.setCPUThrottlingRate", { rate });

  it("1. on a 4× slow CPU, keys typed ~700 ms after Ctrl+S and after the save is done land in the editor; the next Ctrl+S saves them on the version just saved", async () => {
    const id = await openEditor(page, "type-after-save");
    const rel = "changes/type-after-save/proposal.md";
    await throttle(4);
    try {
      await page.keyboard.press("Control+End");
      await page.keyboard.type("\nFirst.");
      await page.keyboard.press("Control+s");
      await page.waitForTimeout(700);
      await page.keyboard.type(" Second.");
      await waitFor(() => read(rel).includes("First."), 15_000, "first save on disk");
      // The save's answer has been handled (old and new versions both toast it).
      await page.waitForSelector('[data-testid="toast"]:has-text("Saved proposal.md")', {
        timeout: 15_000,
      });
      // Well after the save is done: the keyboard is still the editor's.
      await page.waitForTimeout(300);
      await page.keyboard.type(" Third.");
      expect(await page.locator('[data-testid="editor"]').count()).toBe(1);
      expect(await focusInEditor()).toBe(true);
      expect(await editorText()).toContain("First. Second. Third.");
      // Same line as the first save: a save still on the old base would conflict (a dialog).
      await page.keyboard.press("Control+s");
      await waitFor(() => read(rel).includes("First. Second. Third."), 15_000, "second save");
      await page.waitForSelector('[data-testid="editor-status"][data-state="saved"]', {
        timeout: 15_000,
      });
    } finally {
      await throttle(1);
    }
    expect(await page.locator('[data-testid="conflict-dialog"]').count()).toBe(0);
    expect(await page.locator('[data-testid="toast"]:has-text("merged")').count()).toBe(0);
    expect(await focusInEditor()).toBe(true);
    const flushed = (await saves(id)).filter((h) => h.action === "flushed");
    expect(flushed.length).toBeGreaterThanOrEqual(2);
    // Nothing unsaved is left: no draft, the toolbar says saved, Close closes without asking.
    expect(
      await page.evaluate(
        (p) => Object.keys(localStorage).filter((k) => k.startsWith(p)),
        `specsync.draft:${id}:`,
      ),
    ).toEqual([]);
    expect(await page.textContent('[data-testid="cancel-button"]')).toContain("Close");
    await page.click('[data-testid="cancel-button"]');
    await page.waitForSelector('[data-testid="rendered"]:has-text("First. Second. Third.")');
  });

  it("2. Ctrl+S pressed while a save runs is queued: it saves the newer text, on the hash the first save wrote", async () => {
    const id = await openEditor(page, "queued-save");
    const rel = "changes/queued-save/proposal.md";
    // A slow save (the request still reaches the real server), so the second Ctrl+S lands during it.
    const isSave = (u: URL) => u.pathname.includes("specs.update");
    await page.route(isSave, async (route) => {
      await new Promise((r) => setTimeout(r, 1200));
      await route.continue();
    });
    try {
      await page.keyboard.press("Control+End");
      await page.keyboard.type("\nOne.");
      await page.keyboard.press("Control+s");
      await page.waitForSelector('[data-testid="editor-status"][data-state="saving"]');
      await page.keyboard.type(" Two.");
      await page.keyboard.press("Control+s");
      const sawQueued = await page
        .waitForSelector('[data-testid="editor-status"]:has-text("saves again")', {
          timeout: 3_000,
        })
        .then(
          () => true,
          () => false,
        );
      // No further key: the queued save writes " Two." by itself.
      await waitFor(() => read(rel).includes("One. Two."), 15_000, "queued save on disk");
      expect(sawQueued, "the toolbar said a save is queued").toBe(true);
      await page.waitForSelector('[data-testid="editor-status"][data-state="saved"]', {
        timeout: 15_000,
      });
    } finally {
      await page.unroute(isSave);
    }
    expect(await page.locator('[data-testid="conflict-dialog"]').count()).toBe(0);
    expect(await page.locator('[data-testid="toast"]:has-text("merged")').count()).toBe(0);
    const flushed = (await saves(id)).filter((h) => h.action === "flushed");
    expect(flushed).toHaveLength(2);
    // The second save's history keeps the first save's text as the version it replaced.
    expect(flushed[0]?.previousContent?.["proposal.md"]).toContain("One.");
    expect(flushed[0]?.previousContent?.["proposal.md"]).not.toContain("Two.");
    expect(await editorText()).toContain("One. Two.");
  });

  it("3. a conflict settled in the dialog leaves the editor open on the saved text, focused; the next Ctrl+S saves on it", async () => {
    const id = await openEditor(page, "settle-and-type");
    const rel = "changes/settle-and-type/proposal.md";
    await page.click('[data-testid="editor"] .cm-content');
    await page.keyboard.press("Control+Home");
    for (let i = 1; i < 4; i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
    await page.keyboard.press("Shift+Home");
    await page.keyboard.type("Mine.");
    const disk = read(rel).replace("Because it matters.", "Theirs.");
    writeFileSync(file(rel), disk);
    await waitFor(
      async () => (await api.client.specs.get.query({ id })).files["proposal.md"] === disk,
      10_000,
      "disk edit synced",
    );
    await page.keyboard.press("Control+s");
    await page.waitForSelector('[data-testid="conflict-dialog"]');
    const resolved = disk.replace("Theirs.", "Theirs and mine.");
    await page.click('[data-testid="merge-editor"] .cm-content');
    await page.keyboard.press("Control+a");
    await page.keyboard.insertText(resolved);
    await page.click('[data-testid="save-merged"]');
    await waitFor(() => read(rel) === resolved, 10_000, "resolved text saved");
    await page.waitForSelector('[data-testid="conflict-dialog"]', { state: "detached" });
    await page.waitForSelector('[data-testid="editor-status"][data-state="saved"]');
    await waitFor(() => focusInEditor(), 3_000, "focus back in the editor");
    expect(await editorText()).toBe(resolved);
    await page.keyboard.press("Control+End");
    await page.keyboard.type("After the dialog.");
    await page.keyboard.press("Control+s");
    await waitFor(() => read(rel) === `${resolved}After the dialog.`, 10_000, "saved after");
    expect(await page.locator('[data-testid="conflict-dialog"]').count()).toBe(0);
    expect(await page.locator('[data-testid="changed-on-disk"]').count()).toBe(0);
  });

  it("4. phone-sized and dark: the toolbar's status and both buttons fit, readable", async () => {
    const ctx = await browser.newContext({
      viewport: { width: 375, height: 740 },
      colorScheme: "dark",
      isMobile: true,
      hasTouch: true,
    });
    const p = await ctx.newPage();
    try {
      await openEditor(p, "phone-save");
      await p.click('[data-testid="editor"] .cm-content');
      await p.keyboard.press("Control+End");
      await p.keyboard.type("\nFrom a phone.");
      await p.keyboard.press("Control+s");
      await p.waitForSelector('[data-testid="editor-status"][data-state="saved"]');
      const box = await p.$eval('[data-testid="editor-toolbar"]', (t) => {
        // Any CSS colour (Tailwind 4 uses oklch) to sRGB through a canvas, then WCAG contrast.
        const rgb = (c: string) => {
          const cx = document.createElement("canvas").getContext("2d");
          if (!cx) return [0, 0, 0];
          cx.fillStyle = c;
          cx.fillRect(0, 0, 1, 1);
          return [...cx.getImageData(0, 0, 1, 1).data.slice(0, 3)];
        };
        const lum = (c: string) => {
          const [r = 0, g = 0, b = 0] = rgb(c)
            .map((v) => v / 255)
            .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const bgOf = (el: Element | null): string => {
          for (let e = el; e; e = e.parentElement) {
            const c = getComputedStyle(e).backgroundColor;
            if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") return c;
          }
          return "rgb(255, 255, 255)";
        };
        const contrast = (el: Element | null) => {
          if (!el) return 0;
          const [x, y] = [lum(getComputedStyle(el).color), lum(bgOf(el))].sort((m, n) => n - m);
          return ((x ?? 0) + 0.05) / ((y ?? 0) + 0.05);
        };
        const inView = (el: Element | null) => {
          const r = el?.getBoundingClientRect();
          return !!r && r.left >= 0 && r.right <= window.innerWidth && r.width > 0;
        };
        return {
          save: inView(t.querySelector('[data-testid="save-button"]')),
          close: inView(t.querySelector('[data-testid="cancel-button"]')),
          status: inView(t.querySelector('[data-testid="editor-status"]')),
          overflow: document.documentElement.scrollWidth > window.innerWidth,
          contrast: contrast(t.querySelector('[data-testid="editor-status"]')),
        };
      });
      expect(box).toMatchObject({ save: true, close: true, status: true, overflow: false });
      expect(box.contrast, "status text on the dark toolbar").toBeGreaterThanOrEqual(4.5);
      await p.screenshot({ path: path.join(ARTIFACTS, "editor-saved-phone-dark.png") });
      await p.tap('[data-testid="save-button"]');
      await p.waitForSelector('[data-testid="rendered"]:has-text("From a phone.")');
    } finally {
      await ctx.close();
    }
  });
  it("5. before the page hydrates, status, priority and the buttons are disabled and say they are loading; then a change takes effect", async () => {
    const id = await idOf("phone-save");
    // What a slow phone shows before React runs: the server's HTML.
    const html = await (await fetch(`${webUrl}/changes/${id}`)).text();
    for (const testId of ["status-select", "priority-select"]) {
      const tag = html.match(new RegExp(`<select[^>]*data-testid="${testId}"[^>]*>`))?.[0] ?? "";
      expect(tag, testId).toContain('aria-busy="true"');
      expect(tag, testId).toMatch(/\sdisabled(=""|\s|>)/);
    }
    // A click on a button before hydration runs no handler: it would be lost without a sign.
    for (const testId of ["validate-button", "archive-button"]) {
      const tag = html.match(new RegExp(`<button[^>]*data-testid="${testId}"[^>]*>`))?.[0] ?? "";
      expect(tag, testId).toContain('aria-busy="true"');
      expect(tag, testId).toMatch(/\sdisabled(=""|\s|>)/);
    }
    await page.goto(`${webUrl}/changes/${id}`);
    await live();
    const before = (await api.client.specs.get.query({ id })).priority;
    const to = before === "high" ? "low" : "high";
    await page.selectOption('[data-testid="priority-select"]', to);
    await waitFor(
      async () => (await api.client.specs.get.query({ id })).priority === to,
      10_000,
      "priority saved",
    );
    expect(await page.locator('[data-testid="status-select"]').getAttribute("aria-busy")).toBe(
      null,
    );
    expect(await page.locator('[data-testid="validate-button"]').isEnabled()).toBe(true);
  });

  it("6. the changes list says it is refiltering while a new search's answer is on its way", async () => {
    await page.goto(`${webUrl}/`);
    await live();
    await page.waitForSelector('[data-testid="change-row"]');
    const table = page.locator('[data-testid="changes-card"]');
    expect(await table.getAttribute("aria-busy")).toBe("false");
    const isList = (u: URL) => u.pathname.includes("specs.list");
    await page.route(isList, async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue().catch(() => {}); // the page may have moved on meanwhile
    });
    try {
      await page.click('[data-testid="search"]');
      await page.keyboard.type("queued");
      await page.waitForSelector('[data-testid="changes-card"][aria-busy="true"]');
      expect(await page.textContent('[data-testid="match-count"]')).toContain("updating");
      await page.waitForSelector('[data-testid="changes-card"][aria-busy="false"]', {
        timeout: 15_000,
      });
    } finally {
      await page.unroute(isList);
    }
    expect(await page.textContent('[data-testid="match-count"]')).not.toContain("updating");
    expect(await page.locator('[data-testid="change-row"]').count()).toBe(1);
  });
});
