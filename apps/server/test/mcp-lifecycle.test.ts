import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer } from "../testing";

afterAll(cleanupTempRepos);

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[] };
async function call(client: Client, name: string, args: Record<string, unknown>) {
  const res = (await client.callTool({ name, arguments: args })) as ToolResult;
  const text = res.content[0]?.text ?? "";
  // biome-ignore lint/suspicious/noExplicitAny: tool answers are JSON read by path in the assertions
  let body: Record<string, any>;
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text }; // the SDK's own input-validation errors are plain text
  }
  return { isError: !!res.isError, body };
}

describe("MCP: the change lifecycle through the real OpenSpec CLI (new_change, validate_change, preview_archive, archive_change)", () => {
  it("an agent creates a change, validates it, previews and archives it; bad input is a tool error", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-alpha")); // no main spec yet: archive creates specs/demo
    const s = await startTestServer({ databaseUrl: null, projects: [root] });
    const client = new Client({ name: "lifecycle-agent", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`)));
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(
        expect.arrayContaining([
          "new_change",
          "validate_change",
          "preview_archive",
          "archive_change",
        ]),
      );

      // new_change runs `openspec new change`: the folder exists on disk and the DB knows it at
      // once.
      const created = await call(client, "new_change", {
        name: "add-beta",
        goal: "Try the lifecycle",
      });
      expect(created.isError).toBe(false);
      expect(created.body.name).toBe("add-beta");
      expect(existsSync(path.join(root, "openspec/changes/add-beta"))).toBe(true);
      const bad = await call(client, "new_change", { name: "Not Kebab" });
      expect(bad.isError).toBe(true);
      const dup = await call(client, "new_change", { name: "add-beta" });
      expect(dup.isError).toBe(true);
      expect(dup.body.message).toMatch(/already exists/);

      // validate_change: findings with files and lines, the same rules as `openspec validate
      // --strict`.
      const v = await call(client, "validate_change", { change: "add-alpha" });
      expect(v.isError).toBe(false);
      expect(typeof v.body.valid).toBe("boolean");
      expect(Array.isArray(v.body.findings)).toBe(true);

      // preview_archive says what archive will do to specs/demo; archive_change then does it.
      const p = await call(client, "preview_archive", { change: "add-alpha", full: true });
      expect(p.isError).toBe(false);
      const demo = (
        p.body.specs as {
          capability: string;
          requirements: { op: string; name: string; after?: string | null }[];
        }[]
      ).find((x) => x.capability === "demo");
      expect(demo, JSON.stringify(p.body)).toBeTruthy();
      expect(demo!.requirements.length).toBeGreaterThan(0);
      const a = await call(client, "archive_change", { change: "add-alpha" });
      expect(a.isError, JSON.stringify(a.body)).toBe(false);
      expect(a.body.archivedAs).toMatch(/add-alpha$/);
      expect(existsSync(path.join(root, "openspec/changes/add-alpha"))).toBe(false);
      // what the preview said the main spec becomes is what archive wrote
      const after = readFileSync(path.join(root, "openspec/specs/demo/spec.md"), "utf8");
      for (const r of demo!.requirements)
        if (r.op !== "REMOVED" && r.after) expect(after).toContain(r.after.trim().split("\n")[0]!);
      const again = await call(client, "archive_change", { change: "add-alpha" });
      expect(again.isError).toBe(true);
    } finally {
      await client.close();
      await s.stop();
    }
  });
});
