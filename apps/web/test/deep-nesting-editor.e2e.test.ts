// webattack (session 27): editing a proposal with 10,000 nested list markers in the browser.
// CodeMirror's Markdown mode overflowed the stack ("CodeMirror plugin crashed: RangeError"); on
// some runs the broken editor then threw on every key (`reading 'pos'`) and dropped what was typed,
// while Save wrote the text without it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

const DEEP = `# Change: Deep\n\n## Why\n${"- ".repeat(10_000)}x\n\n${"<div>".repeat(10_000)}\n\n## What Changes\n- x\n`;

describe.skipIf(!haveChromium)("the editor on a deeply nested proposal", () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: { ...changeFiles("deep", "Deep"), "changes/deep/proposal.md": DEEP },
    });
  }, 300_000);

  afterAll(() => stack?.stop());

  it("keys typed are kept and saved; the editor does not crash", async () => {
    const { items } = await stack.api.client.specs.list.query({ kind: "change" });
    const id = items.find((i) => i.name === "deep")?.id;
    const page = await stack.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && /CodeMirror|Maximum call stack/.test(m.text()))
        errors.push(m.text());
    });
    await page.goto(`${stack.webUrl}/changes/${id}`);
    await page.locator("[data-testid=edit-button]:not([disabled])").first().click();
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\nfirst line typed\n");
    await page.waitForTimeout(1500);
    await page.keyboard.type("second line typed\n");
    await page.keyboard.press("Control+s");
    const file = path.join(stack.root, "openspec/changes/deep/proposal.md");
    await expect
      .poll(() => readFileSync(file, "utf8"), { timeout: 15_000 })
      .toContain("first line typed\nsecond line typed\n");
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
