import {
  changeFiles,
  createTestDb,
  MAIN_SPEC,
  postgresReachable,
  type TestDb,
} from "@specsync/api/testing";
import { type TestServer, waitFor } from "@specsync/server/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, haveChromium, startBrowserStack } from "./browser-stack";
import { audit } from "./page-audit";

/*
 * A hurried person's pass (real server, built app, real files, Chromium). Every page on a phone
 * (390×844) in dark and light mode: nothing scrolls sideways, no text is below WCAG AA contrast
 * (4.5:1) against what is behind it, every control is on screen or in a box that scrolls; the
 * archive dialog's refusals (a 200-character owner without a space) wrap and are in view. Double
 * clicks send one request. PostgreSQL when reachable, for the "Search is catching up" line.
 */
const pgOk = await postgresReachable();
const OWNER = `agent-${"x".repeat(194)}`; // the longest owner a claim takes, one token
const PHONE = { width: 390, height: 844 };
/** Enough added requirements that the archive preview is several screens tall on a phone. */
const TALL_DELTA = `## ADDED Requirements\n${Array.from(
  { length: 12 },
  (_, i) =>
    `### Requirement: Tall ${i}\nThe system SHALL be tall ${i}.\n\n#### Scenario: Tall ${i}\n- **WHEN** ${i}\n- **THEN** tall\n`,
).join("\n")}`;
const MISSING_HEADER = `Nosuchrequirement${"x".repeat(160)}`;
/** More rows waiting for their search vector than one search fills (25): the line shows. */
const MANY = Object.fromEntries(
  Array.from({ length: 26 }, (_, i) => changeFiles(`many-${i}`, `Many ${i}`)).flatMap((f) =>
    Object.entries(f),
  ),
);
const BAD_DELTA = `## MODIFIED Requirements\n### Requirement: ${MISSING_HEADER}\nThe system SHALL work.\n\n#### Scenario: s\n- **WHEN** a\n- **THEN** b\n`;

describe.skipIf(!haveChromium)(
  "a hurried person: phone, dark mode, double clicks (Chromium)",
  () => {
    let api: TestServer;
    let stack: BrowserStack;
    let webUrl: string;
    let browser: Browser;
    let db: TestDb | undefined;
    const pages: Page[] = [];

    beforeAll(async () => {
      db = pgOk ? await createTestDb("postgres") : undefined;
      stack = await startBrowserStack({
        databaseUrl: db?.url ?? null,
        files: {
          "specs/demo/spec.md": MAIN_SPEC,
          ...(pgOk ? MANY : {}),
          ...changeFiles("claimed-long", "Claimed by a long name"),
          "changes/claimed-long/specs/demo/spec.md": TALL_DELTA,
          "changes/claimed-long/design.md": "# Design\n\nA `design` with **words**.\n",
          "changes/claimed-long/tasks.md":
            "## 1. Work\n- [x] 1.1 Done with `inline code`\n- [ ] 1.2 Open with `inline code`\n",
          ...changeFiles("bad-preview", "A delta archive refuses"),
          ...changeFiles("double-archive", "Archived with a double click"),
          "changes/double-archive/specs/demo/spec.md": BAD_DELTA,
          "changes/bad-preview/specs/demo/spec.md": BAD_DELTA,
        },
      });
      ({ api, webUrl, browser } = stack);
    }, 300_000);

    afterAll(async () => {
      await stack?.stop();
      await db?.drop();
    });

    const phone = async (dark: boolean) => {
      const ctx = await browser.newContext({
        viewport: PHONE,
        colorScheme: dark ? "dark" : "light",
      });
      const p = await ctx.newPage();
      pages.push(p);
      return p;
    };
    const idOf = async (name: string) => {
      const row = (await api.client.specs.list.query({ search: name })).items.find(
        (i) => i.name === name,
      );
      if (!row) throw new Error(`${name} not synced`);
      return row.id;
    };
    const live = (p: Page) =>
      p.waitForSelector('[data-testid="live-status"][data-status="pending"]', {
        state: "attached",
        timeout: 15_000,
      });
    const widthOf = (p: Page) =>
      p.evaluate(() => [document.scrollingElement?.scrollWidth ?? 0, innerWidth] as const);

    it("the archive refusal naming a 200-character owner wraps and is scrolled into view; the page does not widen", async () => {
      const id = await idOf("claimed-long");
      await api.client.agents.claim.mutate({ id, owner: OWNER, leaseSeconds: 3600 });
      const p = await phone(true);
      await p.goto(`${webUrl}/changes/${id}?archive=1`);
      await live(p);
      await p.waitForSelector('[data-testid="delta-preview"], [data-testid="preview-error"]');
      // The answer takes a moment (held here; the request still reaches the real server): meanwhile
      // the person scrolls back up to read the preview again.
      const isArchive = (u: URL) => u.pathname.includes("changes.archive");
      await p.route(isArchive, async (route) => {
        await new Promise((r) => setTimeout(r, 1000));
        await route.continue();
      });
      await p.click('[data-testid="archive-confirm"]');
      await p.$eval('[data-testid="archive-dialog"]', (d) => d.scrollIntoView({ block: "start" }));
      // A claim refusal shows as the force box (force-archive.tsx), naming the owner.
      const refusal = p.locator('[data-testid="archive-claimed"]');
      await refusal.waitFor({ state: "attached" });
      await p.unroute(isArchive);
      expect(await refusal.textContent()).toContain(`is claimed by ${OWNER}`);
      await waitFor(
        async () =>
          (await refusal.evaluate((e) => {
            const r = e.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= innerHeight;
          })) === true,
        3_000,
        "refusal on screen",
      ).catch(async (err: Error) => {
        const r = await refusal.evaluate((e) => JSON.stringify(e.getBoundingClientRect()));
        throw new Error(`${err.message}: ${r}`);
      });
      const [width, inner] = await widthOf(p);
      expect(width, "page width with the refusal").toBeLessThanOrEqual(inner);
      const box = await p.$eval('[data-testid="archive-dialog"]', (d) => [
        d.scrollWidth,
        d.clientWidth,
      ]);
      expect(box[0], "dialog content wider than the dialog").toBeLessThanOrEqual(box[1] ?? 0);
    });

    it("the claim badge with that owner wraps on the change page and the list", async () => {
      const id = await idOf("claimed-long");
      const p = await phone(false);
      const wide: string[] = [];
      for (const url of [`/changes/${id}`, "/?q=claimed"]) {
        await p.goto(`${webUrl}${url}`);
        await live(p);
        await p.waitForSelector('[data-testid="claim-badge"]');
        const [width, inner] = await widthOf(p);
        if (width > inner) wide.push(`${url}: ${width} px`);
      }
      expect(wide).toEqual([]);
    });

    it("every page, dark and light: no sideways scroll, readable contrast, every control reachable", async () => {
      const change = await idOf("claimed-long");
      const spec = await idOf("demo");
      const urls = [
        "/",
        "/?q=tall",
        "/specs",
        `/changes/${spec}`,
        `/changes/${change}`,
        `/changes/${change}?tab=tasks`,
        `/changes/${change}?tab=design`,
        `/changes/${change}?tab=deltas`,
        `/changes/${change}?tab=history`,
        `/changes/${change}?archive=1`,
        `/changes/${await idOf("bad-preview")}?archive=1`,
        "/sync",
        "/board",
        "/summary",
        "/no/such/page",
      ];
      const problems: string[] = [];
      for (const dark of [true, false]) {
        const p = await phone(dark);
        for (const url of urls) {
          await p.goto(`${webUrl}${url}`);
          if (!url.startsWith("/no/")) await live(p);
          await p.waitForLoadState("networkidle");
          if (url.includes("archive=1"))
            await p.waitForSelector('[data-testid="archive-warnings"]');
          const f = await p.evaluate(audit);
          const at = `${dark ? "dark" : "light"} ${url}`;
          if (f.width > f.inner) problems.push(`${at}: ${f.width} px wide (${f.wide.join("; ")})`);
          for (const l of f.low) problems.push(`${at}: contrast ${l}`);
          for (const u of f.unreachable) problems.push(`${at}: off screen ${u}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it.skipIf(!pgOk)(
      "the 'Search is catching up' line, dark and light: readable, no sideways scroll",
      async () => {
        await db?.database.query("update openspec_specs set search = null");
        const problems: string[] = [];
        for (const dark of [true, false]) {
          const p = await phone(dark);
          await p.goto(`${webUrl}/?q=zymurgical`);
          await p.locator('[data-testid="search-catching-up"]').waitFor({ timeout: 30_000 });
          const f = await p.evaluate(audit);
          if (f.width > f.inner) problems.push(`${dark}: ${f.width} px wide`);
          for (const l of f.low) problems.push(`${dark ? "dark" : "light"}: contrast ${l}`);
        }
        await db?.database.query(
          "update openspec_specs set search = openspec_specs_search_of(openspec_specs)",
        );
        expect(problems).toEqual([]);
      },
    );

    /** The tRPC calls of these procedures the page sends (batched calls counted one by one). */
    const countCalls = (p: Page, procedure: string) => {
      const calls: string[] = [];
      p.on("request", (r) => {
        const u = new URL(r.url());
        if (!u.pathname.includes("/trpc/")) return;
        for (const name of u.pathname.split("/trpc/")[1]?.split(",") ?? [])
          if (name === procedure) calls.push(name);
      });
      return calls;
    };

    it("a double click on Archive sends one archive: the CLI's refusal stays on screen, not 'being archived by another request'", async () => {
      const p = await phone(false);
      const calls = countCalls(p, "changes.archive");
      await p.goto(`${webUrl}/changes/${await idOf("double-archive")}?archive=1`);
      await live(p);
      await p.waitForSelector('[data-testid="preview-error"]', { timeout: 30_000 });
      await p.dblclick('[data-testid="archive-confirm"]');
      const refusal = p.locator('[data-testid="archive-error"]');
      await refusal.waitFor({ timeout: 30_000 });
      await p.waitForSelector('[data-testid="archive-confirm"]:not([disabled])', {
        timeout: 30_000,
      });
      expect(await refusal.textContent()).toContain(MISSING_HEADER);
      expect(calls).toHaveLength(1);
    });

    it("a double click on Validate, Sync now and Sync everything now sends one request each", async () => {
      const p = await phone(true);
      const validations = countCalls(p, "changes.validate");
      const syncs = countCalls(p, "sync.forceSync");
      await p.goto(`${webUrl}/changes/${await idOf("double-archive")}`);
      await live(p);
      await p.dblclick('[data-testid="validate-button"]');
      await p.waitForSelector('[data-testid="toast"]:has-text("double-archive")', {
        timeout: 30_000,
      });
      await p.dblclick('button:has-text("Sync now")');
      await p.waitForSelector('[data-testid="toast"]:has-text("in sync")');
      await p.goto(`${webUrl}/sync`);
      await live(p);
      await p.dblclick('[data-testid="sync-all"]');
      await p.waitForSelector('[data-testid="toast"]:has-text("Synced")', { timeout: 30_000 });
      await p.waitForTimeout(500);
      expect(validations).toHaveLength(1);
      expect(syncs).toHaveLength(2);
    });
  },
);
