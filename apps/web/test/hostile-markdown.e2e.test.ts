// A crafted proposal micromark is quadratic on (outside-test F7: 1 MiB of `*a` kept the web server
// busy 12+ minutes for every user), just under the 1 MiB cap, renders as plain text, and another
// page answers while it is requested. Generous bounds: it asserts only that both complete.
import { changeFiles } from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

// brk3 (session 23): 5,000 nested quotes / list markers overflowed the render's stack (500 after
// 23–90 s of a blocked web server); 2,500 setext headings took seconds per render.
const QUOTES = `# Change: Quotes\n\n## Why\n${">".repeat(5000)} deep\n\n## What Changes\n- x\n`;
const LISTS = `# Change: Lists\n\n## Why\n${"1. ".repeat(5000)}deep\n\n## What Changes\n- x\n`;
const SETEXT = `# Change: Setext\n\n## Why\n${"a\n=\n".repeat(2500)}\n## What Changes\n- x\n`;
const STARS = `# Change: Stars\n\n## Why\n${"*a".repeat(520_000)}\n\n## What Changes\n- x\n`;

describe.skipIf(!haveChromium)("hostile Markdown through the real web server", () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: {
        ...changeFiles("plain-change", "A plain change"),
        ...changeFiles("stars-change", "Stars"),
        "changes/stars-change/proposal.md": STARS,
        ...changeFiles("quotes-change", "Quotes"),
        "changes/quotes-change/proposal.md": QUOTES,
        ...changeFiles("lists-change", "Lists"),
        "changes/lists-change/proposal.md": LISTS,
        ...changeFiles("setext-change", "Setext"),
        "changes/setext-change/proposal.md": SETEXT,
      },
    });
  }, 300_000);

  afterAll(() => stack?.stop());

  const page = async (name: string) => {
    const { items } = await stack.api.client.specs.list.query({ kind: "change", search: name });
    const id = items.find((i) => i.name === name)?.id;
    const res = await fetch(`${stack.webUrl}/changes/${id}`, {
      signal: AbortSignal.timeout(150_000),
    });
    return { status: res.status, html: await res.text() };
  };

  it("a 1 MiB `*a` proposal answers as plain text; another page answers meanwhile", async () => {
    const stars = page("stars-change");
    const plain = await page("plain-change");
    expect(plain.status).toBe(200);
    expect(plain.html).toContain("A plain change");
    const hostile = await stars;
    expect(hostile.status).toBe(200);
    expect(hostile.html).toContain("Shown as plain text");
  }, 300_000);

  it("deeply nested quotes and lists, and thousands of setext headings, answer as plain text", async () => {
    for (const name of ["quotes-change", "lists-change", "setext-change"]) {
      const res = await page(name);
      expect(res.status, name).toBe(200);
      expect(res.html, name).toContain("Shown as plain text");
    }
  }, 300_000);
});
