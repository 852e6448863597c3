// webattack (session 27): a change or capability whose folder name is not ASCII kebab-case
// (`café-menu`, `添加-搜索`: made by hand, OpenSpec lists them) was synced and listed, but its page
// answered "Not found": the readable address's lookup refused every name outside [a-z0-9._-].
import { changeFiles } from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

const NAMES = ["café-menu", "添加-搜索", "with space"];
// U+202E (right-to-left override): shown raw, `add-\u202Etxt.exe` reads as `add-exe.txt`.
const BIDI = "add-\u202Etxt.exe";
const SPEC =
  "# überblick Specification\n\n## Purpose\nx\n\n## Requirements\n" +
  "### Requirement: Shown\nThe system SHALL show it.\n\n#### Scenario: s\n- **WHEN** a\n- **THEN** b\n";

describe.skipIf(!haveChromium)("changes and specs with non-ASCII folder names", () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    const files: Record<string, string> = { "specs/überblick/spec.md": SPEC };
    for (const [i, name] of NAMES.entries()) Object.assign(files, changeFiles(name, `Title ${i}`));
    Object.assign(files, changeFiles(BIDI, "Bidi"));
    stack = await startBrowserStack({ files });
  }, 300_000);

  afterAll(() => stack?.stop());

  it("each change opens from the list, at its readable address, and reloads there", async () => {
    const page = await stack.browser.newPage();
    for (const [i, name] of NAMES.entries()) {
      await page.goto(`${stack.webUrl}/`);
      await page
        .getByRole("link", { name: `Title ${i}` })
        .first()
        .click();
      await page.getByRole("heading", { level: 1, name: `Title ${i}`, exact: true }).waitFor();
      expect(decodeURIComponent(new URL(page.url()).pathname)).toMatch(
        new RegExp(`/changes/${name}$`),
      );
      await page.reload();
      await expect(
        page.getByRole("heading", { level: 1, name: `Title ${i}`, exact: true }).count(),
      ).resolves.toBe(1);
    }
    await page.close();
  }, 120_000);

  it("a capability with a non-ASCII id opens at its address", async () => {
    const page = await stack.browser.newPage();
    const res = await page.goto(`${stack.webUrl}/p/${projectSeg(stack)}/specs/überblick`);
    expect(res?.status()).toBe(200);
    await page.getByText("The system SHALL show it.").waitFor();
    await page.close();
  }, 60_000);

  it("a name with bidi controls shows them, in the list, on its page and in the archive dialog", async () => {
    const page = await stack.browser.newPage();
    await page.goto(`${stack.webUrl}/`);
    const row = page.locator(`[data-testid=change-row][data-name="${BIDI}"]`);
    await expect(row.getByTestId("change-subtitle").innerText()).resolves.toContain(
      "add-⟦U+202E⟧txt.exe",
    );
    await row.getByTestId("change-title").click();
    await page.getByTestId("change-heading").waitFor();
    const main = await page.locator("#content").innerText();
    expect(main).toContain("/ add-⟦U+202E⟧txt.exe");
    expect(main).toContain("openspec/changes/add-⟦U+202E⟧txt.exe");
    expect(main).not.toContain("\u202E");
    await page.getByRole("button", { name: "Archive…" }).first().click();
    const dialog = page.getByTestId("archive-dialog");
    await expect(dialog.innerText()).resolves.toContain("Archive add-⟦U+202E⟧txt.exe?");
    await expect(dialog.innerText()).resolves.toContain("openspec archive add-⟦U+202E⟧txt.exe");
    await page.close();
  }, 60_000);
});

function projectSeg(stack: BrowserStack): string {
  return encodeURIComponent(stack.root.split("/").pop() ?? "");
}
