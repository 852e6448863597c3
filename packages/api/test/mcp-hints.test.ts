import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { connectMcp } from "../testing/mcp-client";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

describeEachDb("MCP answers say what the agent cannot see", (db) => {
  it("update_file: a spec delta with no delta section is flagged; validate: true runs openspec validate", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-hints"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const mcp = await connectMcp(services, project.id, "hint-test");
    try {
      const got = await mcp.call("get_change", { change: "add-hints" });
      const hashes = got.body.hashes as Record<string, string>;
      // Prose under a heading OpenSpec does not read: the file is saved, and the answer says why
      // it changes no requirement.
      const prose = "# Demo\n\nThe demo SHALL show things.\n";
      const saved = await mcp.call("update_file", {
        change: "add-hints",
        file: "specs/demo/spec.md",
        content: prose,
        baseHash: hashes["specs/demo/spec.md"],
      });
      expect(saved.isError).toBe(false);
      expect(saved.body.warnings).toEqual([
        expect.stringMatching(
          /specs\/demo\/spec\.md has no "## ADDED Requirements" .* section.*validate_change/,
        ),
      ]);
      expect(saved.body).not.toHaveProperty("validation");

      // The same file, validated by the real CLI in the same call: the change has no delta left.
      const checked = await mcp.call("update_file", {
        change: "add-hints",
        file: "specs/demo/spec.md",
        content: `${prose}\nMore prose.\n`,
        baseHash: saved.body.hash,
        validate: true,
      });
      expect(checked.isError).toBe(false);
      const validation = checked.body.validation as { valid: boolean; errors: number };
      expect(validation.valid).toBe(false);
      expect(validation.errors).toBeGreaterThan(0);

      // A proper delta: no warning, and validate says valid.
      const good = await mcp.call("update_file", {
        change: "add-hints",
        file: "specs/demo/spec.md",
        content: changeFiles("x")["changes/x/specs/demo/spec.md"],
        baseHash: checked.body.hash,
        validate: true,
      });
      expect(good.body).not.toHaveProperty("warnings");
      expect(good.body.validation).toMatchObject({ valid: true, errors: 0 });
    } finally {
      await mcp.close();
    }
  }, 60_000);

  it("get_change: a file specsync could not read (over 1 MiB) is named, not silently left out", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-big"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    writeFileSync(
      path.join(root, "openspec/changes/add-big/design.md"),
      `# Design\n\n${"x".repeat(1024 * 1024 + 10)}\n`,
    );
    await services.sync.syncProject(project, "manual");
    const mcp = await connectMcp(services, project.id, "hint-test");
    try {
      const got = await mcp.call("get_change", { change: "add-big" });
      expect(got.isError).toBe(false);
      expect(got.body.files).not.toContain("design.md");
      expect(got.body.syncError).toMatch(/design\.md.*1048597 bytes; the limit is 1048576/);
    } finally {
      await mcp.close();
    }
  }, 60_000);
});
