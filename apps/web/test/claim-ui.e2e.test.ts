import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { changeFiles } from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";

// Claims in the change page: the claim history (live, newest first, bounded) and forcing an
// archive someone else's claim refused, as the CLI's --force and MCP's force: true do.
describe.skipIf(!haveChromium)("claims on the change page (headless Chromium)", () => {
  let api: TestServer;
  let stack: BrowserStack;
  let webUrl: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    stack = await startBrowserStack({
      files: {
        ...changeFiles("add-claimed", "Add claimed"),
        ...changeFiles("add-busy", "Add busy"),
        ...changeFiles("add-quiet", "Add quiet"),
        ...changeFiles("add-raced", "Add raced"),
      },
    });
    ({ api, webUrl, browser } = stack);
    // Phone-sized and dark: every check below runs where space and contrast are tightest.
    ctx = await browser.newContext({
      viewport: { width: 390, height: 844 },
      colorScheme: "dark",
      isMobile: true,
      hasTouch: true,
    });
    page = await ctx.newPage();
  }, 600_000);

  afterAll(() => stack?.stop());

  const idOf = async (name: string) =>
    (await api.client.specs.list.query({ kind: "change", search: name })).items.find(
      (i) => i.name === name,
    )?.id ?? "";
  const file = (rel: string) => path.join(stack.root, "openspec", rel);
  const events = () =>
    page
      .locator('[data-testid="claim-event"]')
      .evaluateAll((els) =>
        els.map(
          (e) =>
            `${e.getAttribute("data-event")} ${e.querySelector('[data-testid="claim-event-owner"]')?.textContent}`,
        ),
      );
  const noOverflow = () =>
    page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it("claim history: who and what, newest first, live as claims change; none shown when never claimed", async () => {
    const id = await idOf("add-claimed");
    await page.goto(`${webUrl}/changes/${await idOf("add-quiet")}`);
    await page.waitForSelector('[data-testid="agents-panel"]');
    expect(await page.locator('[data-testid="claim-history"]').count()).toBe(0);

    await api.client.agents.claim.mutate({ id, owner: "bob", leaseSeconds: 600 });
    await page.goto(`${webUrl}/changes/${id}`);
    await page.waitForSelector('[data-testid="claim-event"]');
    expect(await events()).toEqual(["claimed bob"]);
    expect(await page.locator('[data-testid="claim-event"]').innerText()).toMatch(/lease until/);

    // Released and taken by someone else while the page is open: it follows without a reload.
    await api.client.agents.release.mutate({ id, owner: "bob" });
    await api.client.agents.claim.mutate({ id, owner: "carol", leaseSeconds: 900 });
    await waitFor(async () => (await events()).length === 3, 15_000, "live claim history");
    expect(await events()).toEqual(["claimed carol", "released bob", "claimed bob"]);
    expect(await page.innerText('[data-testid="claim-history-count"]')).toBe("(3 events)");
    expect(await page.evaluate(() => document.documentElement.classList.contains("dark"))).toBe(
      true,
    );
    expect(await noOverflow()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, "claim-history-phone-dark.png") });
  });

  it("claim history is bounded: the newest 50, then 'N more' and a button that shows them", async () => {
    const id = await idOf("add-busy");
    await api.client.agents.claim.mutate({
      id,
      owner: "agent-with-a-rather-long-name-7",
      leaseSeconds: 60,
    });
    for (let i = 0; i < 55; i++)
      await api.client.agents.heartbeat.mutate({
        id,
        owner: "agent-with-a-rather-long-name-7",
        leaseSeconds: 60,
      });
    await page.goto(`${webUrl}/changes/${id}`);
    await page.waitForSelector('[data-testid="claim-history-more"]');
    expect(await page.locator('[data-testid="claim-event"]').count()).toBe(50);
    expect(await page.innerText('[data-testid="claim-history-more"]')).toMatch(
      /^6 more older events\.\s+Show 6 more$/,
    );
    expect(await page.innerText('[data-testid="claim-history-count"]')).toBe("(56 events)");
    await page.click('[data-testid="claim-history-show-more"]');
    await waitFor(
      async () => (await page.locator('[data-testid="claim-event"]').count()) === 56,
      10_000,
      "all 56 events",
    );
    expect((await events()).at(-1)).toBe("claimed agent-with-a-rather-long-name-7");
    expect(await page.locator('[data-testid="claim-history-more"]').count()).toBe(0);
    expect(await noOverflow()).toBe(true);
  });

  it("archive refused by carol's claim: names her and the lease's end; force needs a second confirmation, re-asked when the claim changed hands", async () => {
    const id = await idOf("add-claimed");
    await page.goto(`${webUrl}/changes/${id}?archive=1`);
    await page.waitForSelector('[data-testid="archive-dialog"]');
    // No force offered before a refusal.
    expect(await page.locator('[data-testid="archive-force"]').count()).toBe(0);
    await page.click('[data-testid="archive-confirm"]');
    await page.waitForSelector('[data-testid="archive-claimed"]');
    const claim = await api.client.agents.claimOf.query({ id });
    expect(await page.innerText('[data-testid="archive-claimed-owner"]')).toBe("carol");
    expect(await page.getAttribute('[data-testid="archive-claimed-until"] time', "datetime")).toBe(
      new Date(claim?.expiresAt ?? 0).toISOString(),
    );
    expect(await page.innerText('[data-testid="archive-claimed"]')).toMatch(
      /Not archived: add-claimed is claimed by carol until .*lease ends in 1[45] min.*Nothing was moved/s,
    );
    // The raw CLI-flavoured message is not shown beside it.
    expect(await page.locator('[data-testid="archive-error"]').count()).toBe(0);
    expect(existsSync(file("changes/add-claimed"))).toBe(true);

    // First step only asks; "Keep the claim" backs out.
    await page.click('[data-testid="archive-force"]');
    await page.waitForSelector('[data-testid="archive-force-confirm"]');
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe(
      "archive-force-confirm",
    );
    expect(await noOverflow()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, "archive-force-phone-dark.png") });
    await page.click('[data-testid="archive-force-cancel"]');
    expect(await page.locator('[data-testid="archive-force-confirm"]').count()).toBe(0);
    expect(existsSync(file("changes/add-claimed"))).toBe(true);
    expect((await api.client.agents.claimOf.query({ id }))?.owner).toBe("carol");

    // Meanwhile the claim changes hands: confirming carol's must not end dave's unseen.
    await page.click('[data-testid="archive-force"]');
    await api.client.agents.release.mutate({ id, owner: "carol" });
    await api.client.agents.claim.mutate({ id, owner: "dave", leaseSeconds: 300 });
    await page.click('[data-testid="archive-force-confirm"]');
    await page.waitForSelector('[data-testid="archive-claimed"][data-owner="dave"]');
    expect(await page.innerText('[data-testid="archive-claimed"]')).toMatch(
      /The claim changed meanwhile: add-claimed is claimed by dave/,
    );
    expect(await page.locator('[data-testid="archive-force-confirm"]').count()).toBe(0);
    expect(existsSync(file("changes/add-claimed"))).toBe(true);
    expect((await api.client.agents.claimOf.query({ id }))?.owner).toBe("dave");

    await page.click('[data-testid="archive-force"]');
    expect(await page.innerText('[data-testid="archive-force-confirm"]')).toBe(
      "End dave's claim and archive",
    );
    await page.click('[data-testid="archive-force-confirm"]');
    await waitFor(() => !existsSync(file("changes/add-claimed")), 30_000, "archived on disk");
    expect(readdirSync(file("changes/archive")).some((n) => n.endsWith("-add-claimed"))).toBe(true);
    // The claim ends once the archive has synced (just after the folder moved).
    await waitFor(
      async () => (await api.client.agents.claimOf.query({ id })) === null,
      10_000,
      "dave's claim ended",
    );
    const {
      events: [last],
    } = await api.client.agents.claimHistory.query({ id });
    expect(last).toMatchObject({
      event: "archived",
      owner: "dave",
      note: "archived by web (forced)",
    });

    // The archived change's page keeps its claim history, the forced end on top.
    await page.goto(`${webUrl}/changes/${id}`);
    await waitFor(
      async () => (await events())[0] === "archived dave",
      20_000,
      "archived event on the page",
    );
    expect(await page.innerText('[data-testid="claim-event-note"]')).toBe(
      "archived by web (forced)",
    );
    expect(await noOverflow()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, "claim-history-archived.png") });
  });

  it("a force confirmed for carol while the claim passes to erin on the way: refused naming erin, erin's claim stands until confirmed", async () => {
    const id = await idOf("add-raced");
    await api.client.agents.claim.mutate({ id, owner: "carol", leaseSeconds: 900 });
    await page.goto(`${webUrl}/changes/${id}?archive=1`);
    await page.waitForSelector('[data-testid="archive-dialog"]');
    await page.click('[data-testid="archive-confirm"]');
    await page.waitForSelector('[data-testid="archive-claimed"][data-owner="carol"]');
    await page.click('[data-testid="archive-force"]');
    // The claim changes hands after anything the page could check, while the archive request is
    // on its way: only the server, in the archive's own step, can see it.
    const isArchive = (u: URL) => u.pathname.endsWith("/changes.archive");
    await page.route(
      isArchive,
      async (route) => {
        await api.client.agents.release.mutate({ id, owner: "carol" });
        await api.client.agents.claim.mutate({ id, owner: "erin", leaseSeconds: 300 });
        await route.continue();
      },
      { times: 1 },
    );
    await page.click('[data-testid="archive-force-confirm"]');
    await page.waitForSelector('[data-testid="archive-claimed"][data-owner="erin"]');
    expect(await page.innerText('[data-testid="archive-claimed"]')).toMatch(
      /The claim changed meanwhile: add-raced is claimed by erin until .*Nothing was moved/s,
    );
    expect(await page.locator('[data-testid="archive-force-confirm"]').count()).toBe(0);
    expect(await page.locator('[data-testid="archive-error"]').count()).toBe(0);
    expect(existsSync(file("changes/add-raced"))).toBe(true);
    expect((await api.client.agents.claimOf.query({ id }))?.owner).toBe("erin");
    expect(await noOverflow()).toBe(true);
    await page.unroute(isArchive);

    // Confirmed again, for erin this time: her claim ends, recorded as forced.
    await page.click('[data-testid="archive-force"]');
    expect(await page.innerText('[data-testid="archive-force-confirm"]')).toBe(
      "End erin's claim and archive",
    );
    await page.click('[data-testid="archive-force-confirm"]');
    await waitFor(() => !existsSync(file("changes/add-raced")), 30_000, "archived on disk");
    await waitFor(
      async () => (await api.client.agents.claimOf.query({ id })) === null,
      10_000,
      "erin's claim ended",
    );
    const { events } = await api.client.agents.claimHistory.query({ id });
    expect(events[0]).toMatchObject({
      event: "archived",
      owner: "erin",
      note: "archived by web (forced)",
    });
  });

  it("archiving one's own claim needs no force: no refusal shown", async () => {
    const id = await idOf("add-quiet");
    await api.client.agents.claim.mutate({ id, owner: "web", leaseSeconds: 600 });
    await page.goto(`${webUrl}/changes/${id}?archive=1`);
    await page.waitForSelector('[data-testid="archive-dialog"]');
    await page.click('[data-testid="archive-confirm"]');
    await waitFor(() => !existsSync(file("changes/add-quiet")), 30_000, "archived on disk");
    expect(await page.locator('[data-testid="archive-claimed"]').count()).toBe(0);
  });
});
