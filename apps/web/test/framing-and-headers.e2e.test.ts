// webattack (session 27): the web port sent no framing, content-type or referrer policy. Another
// site could frame the UI (clickjacking the Archive/Save buttons), and an image in a crafted
// proposal was fetched from wherever it pointed (telling its author who read the file, and when).
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { changeFiles } from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";
import { raw } from "./specsync-start";

describe.skipIf(!haveChromium)("the web port's security headers, in Chromium", () => {
  let stack: BrowserStack;
  let other: Server;
  let otherUrl = "";
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    // Another site: a page that frames the UI, and the target of the proposal's image and link.
    other = createServer((req, res) => {
      seen.push(req);
      res.setHeader("content-type", "text/html");
      res.end(`<iframe id="ui" src="${stack.webUrl}/" width="800" height="600"></iframe>`);
    });
    other.listen(0, "127.0.0.1");
    await once(other, "listening");
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const proposal =
      "# Change: Beacon\n\n## Why\n\n" +
      `![pixel](${otherUrl}/pixel.png)\n\n[outside](${otherUrl}/link)\n\n## What Changes\n- x\n`;
    stack = await startBrowserStack({
      files: { ...changeFiles("beacon", "Beacon"), "changes/beacon/proposal.md": proposal },
    });
  }, 300_000);

  afterAll(async () => {
    other?.close();
    await stack?.stop();
  });

  it("another site cannot frame the UI", async () => {
    const page = await stack.browser.newPage();
    const loaded: string[] = [];
    page.on("response", (r) => {
      if (r.url().startsWith(stack.webUrl)) loaded.push(r.url());
    });
    await page.goto(`${otherUrl}/frame`);
    await page.waitForTimeout(1500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(loaded.length).toBeGreaterThan(0); // the request was made, its answer refused
    const nav = await frame?.evaluate(() => document.querySelector("nav")?.textContent ?? null);
    expect(nav ?? null).toBeNull();
    await page.close();
  }, 60_000);

  it("a proposal's remote image is not fetched; a followed link does not send the page's address", async () => {
    const { items } = await stack.api.client.specs.list.query({ kind: "change" });
    const id = items.find((i) => i.name === "beacon")?.id;
    const page = await stack.browser.newPage();
    await page.goto(`${stack.webUrl}/changes/${id}`);
    await page.getByRole("link", { name: "outside" }).waitFor();
    await page.waitForTimeout(500);
    expect(seen.map((r) => r.url)).not.toContain("/pixel.png");
    await Promise.all([page.waitForURL(`${otherUrl}/link`), page.getByText("outside").click()]);
    const followed = seen.find((r) => r.url === "/link");
    expect(followed?.headers.referer).toBeUndefined();
    await page.close();
  }, 60_000);

  it("pages, static files and refusals carry nosniff, a referrer policy and no framing", async () => {
    const port = Number(new URL(stack.webUrl).port);
    const page = await raw(port, { path: "/" });
    const refused = await raw(port, { path: "/", headers: { host: "evil.example" } });
    expect(refused.status).toBe(421);
    const css = /\/_next\/static\/[^"]+\.css/.exec(page.body)?.[0];
    const asset = await raw(port, { path: css ?? "/favicon.ico" });
    for (const res of [page, refused, asset]) {
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["x-frame-options"]).toBe("DENY");
      expect(res.headers["referrer-policy"]).toBe("same-origin");
      expect(String(res.headers["content-security-policy"])).toContain("frame-ancestors 'none'");
    }
    expect(String(page.headers["content-security-policy"])).toContain(
      `connect-src 'self' ${new URL(stack.api.url).origin}`,
    );
  }, 60_000);
});
