import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  changeFiles,
  cleanupTempRepos,
  DELTA,
  openspecRaw,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { describeEachDb } from "@specsync/api/testing/each-db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer } from "../testing";
import { bundleCli, removeBundle } from "../testing/bundle";

afterAll(cleanupTempRepos);

/** The CLI bundled from the current sources once for the file (testing/bundle.ts), not via tsx. */
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
});
afterAll(() => removeBundle(CLI));

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[] };
async function call(client: Client, name: string, args: Record<string, unknown>) {
  const res = (await client.callTool({ name, arguments: args })) as ToolResult;
  const text = res.content[0]?.text ?? "";
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // plain text
  }
  return { isError: !!res.isError, message };
}

/** Every file under `dir`, by relative path, with the archive folders' date left out. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const p = path.join(dir, rel);
    try {
      out[rel.replace(/archive\/\d{4}-\d{2}-\d{2}-/, "archive/DATE-")] = readFileSync(p, "utf8");
    } catch {
      // a folder
    }
  }
  return out;
}

const NAMES = ["race-one", "race-two", "race-three"];

// break-ui F5: a server's /mcp and a stdio `specsync mcp` (two processes, one PostgreSQL) archive
// the same change at once. The loser got the CLI's "remove the stale claim", "Fix the change delta
// specs" or "Change not found" with the whole list, depending on timing.
describeEachDb("two agents archive one change at once", (db, driver) => {
  it.skipIf(driver === "pglite")(
    "one archives it; the other is told it is being (or was) archived; files as openspec archive leaves them",
    async () => {
      const root = tempRepo();
      for (const n of NAMES) {
        const { [`changes/${n}/specs/demo/spec.md`]: _demo, ...files } = changeFiles(n);
        writeTree(root, { ...files, [`changes/${n}/specs/${n}/spec.md`]: DELTA });
      }
      const oracle = mkdtempSync(path.join(tmpdir(), "specsync-race-oracle-"));
      cpSync(path.join(root, "openspec"), path.join(oracle, "openspec"), { recursive: true });
      const server = await startTestServer({ databaseUrl: db().url, projects: [root] });
      const http = new Client({ name: "agent-http", version: "1.0.0" });
      const stdio = new Client({ name: "agent-stdio", version: "1.0.0" });
      try {
        await http.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
        await stdio.connect(
          new StdioClientTransport({
            command: process.execPath,
            args: [CLI, "mcp", "--project", root],
            env: {
              ...(process.env as Record<string, string>),
              DATABASE_URL: db().url ?? "",
              SPECSYNC_LOG: "silent",
              SPECSYNC_CRON: "0 0 1 1 *",
            },
          }),
        );
        for (const n of NAMES) {
          const answers = await Promise.all([
            call(http, "archive_change", { change: n }),
            call(stdio, "archive_change", { change: n }),
          ]);
          const won = answers.filter((a) => !a.isError);
          expect(won, JSON.stringify(answers)).toHaveLength(1);
          const lost = answers.find((a) => a.isError);
          expect(lost?.message).toMatch(
            new RegExp(
              `^${n} is (being archived by another request|already archived \\(changes/archive/\\d{4}-\\d{2}-\\d{2}-${n}\\))`,
            ),
          );
          const cli = await openspecRaw(oracle, ["archive", n, "--yes"]);
          expect(cli.code, cli.stderr).toBe(0);
        }
        expect(tree(path.join(root, "openspec"))).toEqual(tree(path.join(oracle, "openspec")));
        expect(
          readdirSync(path.join(root, ".specsync")).filter((f) => f.includes("archive")),
        ).toEqual([]);
      } finally {
        await stdio.close();
        await http.close();
        await server.stop();
        rmSync(oracle, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
