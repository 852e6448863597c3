import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  postgresReachable,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { claimHistory, createDb, eq } from "@specsync/db";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer } from "../testing";
import { BIN } from "./built";

// Archiving a change someone else has claimed: refused unless forced, and the claim ends with the
// archive, in the change's claim history (found by an outside tester in session 22: the archive
// went ahead and the claim lingered until its lease ran out).

afterAll(cleanupTempRepos);
const pgOk = await postgresReachable();
if (!pgOk && process.env.CI) throw new Error("PostgreSQL must be reachable in CI");
const drivers = pgOk ? (["pglite", "postgres"] as const) : (["pglite"] as const);

const NAMES = ["add-a", "add-b", "add-c"];
function workspace(): string {
  const root = tempRepo();
  writeTree(root, Object.assign({}, ...NAMES.map((n) => changeFiles(n))));
  return root;
}
const moved = (root: string, name: string) =>
  !existsSync(path.join(root, "openspec/changes", name));

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[] };
async function tool(client: Client, name: string, args: Record<string, unknown>) {
  const res = (await client.callTool({ name, arguments: args })) as ToolResult;
  return { isError: !!res.isError, body: JSON.parse(res.content[0]?.text ?? "{}") };
}

const REFUSAL =
  /^add-\w is claimed by bob until \d{4}-\d\d-\d\dT[\d:.]+Z; archiving it would end that claim\. Archive it as bob \(--owner \/ owner\), once it is released or expired, or force it \(--force \/ force: true\)$/;

const STALE_FORCE =
  /^add-\w is now claimed by bob until \d{4}-\d\d-\d\dT[\d:.]+Z, not by carol whose claim the force confirmed; nothing was archived\. Force it again to end bob's claim$/;

describe.each(drivers)("archiving a claimed change (tRPC and MCP, %s)", (driver) => {
  it("someone else's claim refuses it unless forced; the archive ends the claim, in claim history", async () => {
    const root = workspace();
    const testDb = driver === "postgres" ? await createTestDb("postgres") : null;
    const s = await startTestServer({ databaseUrl: testDb?.url ?? null, projects: [root] });
    const client = new Client({ name: "closer", version: "1.0.0" });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`)));
      const { items } = await s.client.specs.list.query({ kind: "change" });
      const id = (name: string) => items.find((i) => i.name === name)?.id ?? "";
      for (const name of NAMES)
        await s.client.agents.claim.mutate({ id: id(name), owner: "bob", leaseSeconds: 600 });

      // tRPC: refused, naming the owner and the lease's end; nothing moved, the claim stands.
      await expect(s.client.changes.archive.mutate({ id: id("add-a") })).rejects.toThrow(REFUSAL);
      expect(moved(root, "add-a")).toBe(false);
      expect((await s.client.agents.claimOf.query({ id: id("add-a") }))?.owner).toBe("bob");
      // A force confirming someone else's claim (the change changed hands since): refused, naming
      // who holds it now; nothing moved, bob's claim stands.
      await expect(
        s.client.changes.archive.mutate({ id: id("add-a"), force: true, expectedOwner: "carol" }),
      ).rejects.toThrow(STALE_FORCE);
      expect(moved(root, "add-a")).toBe(false);
      expect((await s.client.agents.claimOf.query({ id: id("add-a") }))?.owner).toBe("bob");
      // Forced, naming bob: archived, bob's claim ended and recorded with who did it.
      const forced = await s.client.changes.archive.mutate({
        id: id("add-a"),
        force: true,
        expectedOwner: "bob",
      });
      expect(forced.archivedAs).toMatch(/-add-a$/);
      expect(moved(root, "add-a")).toBe(true);
      expect(await s.client.agents.claimOf.query({ id: id("add-a") })).toBeNull();
      const {
        events: [last],
      } = await s.client.agents.claimHistory.query({ id: id("add-a") });
      expect(last).toMatchObject({
        event: "archived",
        owner: "bob",
        note: "archived by test (forced)",
      });
      // Bounded over tRPC too: the newest `limit` events and how many there are in all.
      expect(await s.client.agents.claimHistory.query({ id: id("add-a"), limit: 1 })).toMatchObject(
        { total: 2, events: [{ event: "archived" }] },
      );
      // The archive's own history entry says whose claim it ended.
      const history = await s.client.sync.history.query({ specId: id("add-a"), limit: 5 });
      expect(history.items.find((h) => h.action === "archived")?.note).toMatch(
        /^openspec archive: .*-add-a; ended the claim of bob \(forced\)$/,
      );

      // MCP: the same rule (CONFLICT naming the owner); archiving as the owner needs no force.
      const refused = await tool(client, "archive_change", { change: "add-b" });
      expect(refused.isError).toBe(true);
      expect(refused.body).toMatchObject({ error: "CONFLICT", owner: "bob" });
      expect(refused.body.message).toMatch(REFUSAL);
      expect(moved(root, "add-b")).toBe(false);
      const own = await tool(client, "archive_change", { change: "add-b", owner: "bob" });
      expect(own.isError, JSON.stringify(own.body)).toBe(false);
      expect(moved(root, "add-b")).toBe(true);
      const {
        events: [ownLast],
      } = await s.client.agents.claimHistory.query({ id: id("add-b") });
      expect(ownLast).toMatchObject({ event: "archived", owner: "bob", note: "archived by bob" });
      const stale = await tool(client, "archive_change", {
        change: "add-c",
        force: true,
        expectedOwner: "carol",
      });
      expect(stale.isError).toBe(true);
      expect(stale.body).toMatchObject({ error: "CONFLICT", owner: "bob" });
      expect(stale.body.message).toMatch(STALE_FORCE);
      expect(moved(root, "add-c")).toBe(false);
      const forcedMcp = await tool(client, "archive_change", { change: "add-c", force: true });
      expect(forcedMcp.isError, JSON.stringify(forcedMcp.body)).toBe(false);
      const {
        events: [mcpLast],
      } = await s.client.agents.claimHistory.query({ id: id("add-c") });
      expect(mcpLast).toMatchObject({
        event: "archived",
        owner: "bob",
        note: "archived by mcp:closer (forced)",
      });
    } finally {
      await client.close();
      await s.stop();
      await testDb?.drop();
    }
  }, 240_000);
});

type Out = { stdout: string; stderr: string; exitCode: number };
function specsync(args: string[], cwd: string, env: Record<string, string>): Promise<Out> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("SPECSYNC_") && !["DATABASE_URL", "INIT_CWD"].includes(k),
    ),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...clean, SPECSYNC_LOG: "silent", ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ stdout, stderr, exitCode: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

describe.skipIf(!existsSync(BIN)).each(drivers)(
  "specsync archive on a claimed change (%s)",
  (driver) => {
    it("is refused with the owner and expiry; --force archives and ends the claim", async () => {
      const root = workspace();
      const testDb = driver === "postgres" ? await createTestDb("postgres") : null;
      const dataDir = path.join(root, ".specsync", "pglite");
      const env: Record<string, string> = testDb?.url ? { DATABASE_URL: testDb.url } : {};
      try {
        expect((await specsync(["sync"], root, env)).exitCode).toBe(0);
        const claimed = await specsync(["claim", "add-a", "--owner", "bob"], root, env);
        expect(claimed.exitCode, claimed.stderr).toBe(0);
        const refused = await specsync(["archive", "add-a"], root, env);
        expect(refused.exitCode).toBe(1);
        expect(refused.stdout).toBe("");
        expect(refused.stderr.trimEnd().replace(/^specsync: /, "")).toMatch(REFUSAL);
        expect(moved(root, "add-a")).toBe(false);
        // As somebody else who is not the owner: still refused.
        const asEve = await specsync(["archive", "add-a", "--owner", "eve"], root, env);
        expect(asEve.exitCode).toBe(1);
        const forced = await specsync(["archive", "add-a", "--force", "--owner", "eve"], root, env);
        expect(forced.exitCode, forced.stderr).toBe(0);
        expect(forced.stdout).toMatch(/^add-a: archived as changes\/archive\/\S+-add-a/);
        expect(moved(root, "add-a")).toBe(true);
        // The owner archives their own without --force.
        await specsync(["claim", "add-b", "--owner", "bob"], root, env);
        const own = await specsync(["archive", "add-b", "--owner", "bob"], root, env);
        expect(own.exitCode, own.stderr).toBe(0);

        // What bob finds in the claim history (read from the database once the CLI is done).
        const database = await createDb(testDb?.url ? { url: testDb.url } : { dataDir });
        try {
          const rows = await database.db
            .select({ name: claimHistory.name, event: claimHistory.event, note: claimHistory.note })
            .from(claimHistory)
            .where(eq(claimHistory.owner, "bob"))
            .orderBy(claimHistory.id);
          expect(rows).toEqual([
            { name: "add-a", event: "claimed", note: null },
            { name: "add-a", event: "archived", note: "archived by eve (forced)" },
            { name: "add-b", event: "claimed", note: null },
            { name: "add-b", event: "archived", note: "archived by bob" },
          ]);
        } finally {
          await database.close();
        }
      } finally {
        await testDb?.drop();
      }
    }, 300_000);
  },
);
