import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { connectMcp } from "../testing/mcp-client";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const DUP = "## Backend\n- [ ] Write tests\n## Frontend\n- [ ] Write tests\n";

describeEachDb("MCP toggle_task with repeated task texts (F9)", (db) => {
  it("an identical task added above: the base's task is ticked with baseHash; without it, a refusal", async () => {
    const root = tempRepo();
    writeTree(root, { ...changeFiles("add-dup"), "changes/add-dup/tasks.md": DUP });
    const file = path.join(root, "openspec/changes/add-dup/tasks.md");
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const mcp = await connectMcp(services, project.id, "tasks-test");
    try {
      const got = await mcp.call("get_change", { change: "add-dup" });
      const tasks = got.body.tasks as { id: string }[];
      const frontend = tasks[1]?.id as string;
      const baseHash = (got.body.hashes as Record<string, string>)["tasks.md"];
      // A person adds a second "Write tests" under Backend (not yet synced).
      const edited = DUP.replace("## Frontend", "- [ ] Write tests\n## Frontend");
      writeFileSync(file, edited);
      const noBase = await mcp.call("toggle_task", {
        change: "add-dup",
        taskId: frontend,
        done: true,
      });
      expect(noBase.isError).toBe(true);
      expect(noBase.text).toMatch(/repeats its text.*baseHash/);
      const ok = await mcp.call("toggle_task", {
        change: "add-dup",
        taskId: frontend,
        done: true,
        baseHash,
      });
      expect(ok.isError).toBe(false);
      expect(readFileSync(file, "utf8")).toBe(
        edited.replace(/- \[ \] Write tests\n$/, "- [x] Write tests\n"),
      );
    } finally {
      await mcp.close();
    }
  });
});

describeEachDb("MCP tool arguments (F6)", (db) => {
  it("an unknown key (lease for leaseSeconds) is refused, naming the key; nothing is claimed", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-lease"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const mcp = await connectMcp(services, project.id, "tasks-test");
    try {
      const bad = await mcp.call("claim_change", { change: "add-lease", owner: "a", lease: 60 });
      expect(bad.isError).toBe(true);
      expect(bad.text).toMatch(/lease/);
      expect(bad.text).toMatch(/[Uu]nrecognized/);
      const got = await mcp.call("get_change", { change: "add-lease" });
      expect(got.body.claim ?? null).toBeNull();
      const ok = await mcp.call("claim_change", {
        change: "add-lease",
        owner: "a",
        leaseSeconds: 60,
      });
      expect(ok.isError).toBe(false);
    } finally {
      await mcp.close();
    }
  });
});

describeEachDb("MCP list_changes paging (F5)", (db) => {
  it("keyset cursor: priorities changed between pages skip or repeat no other change", async () => {
    const root = tempRepo();
    const names = Array.from({ length: 12 }, (_, i) => `ch-${String(i).padStart(2, "0")}`);
    writeTree(root, Object.assign({}, ...names.map((n) => changeFiles(n))));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const ids = new Map(
      (await services.specs.list({ projectId: project.id, kind: "change", limit: 50 })).items.map(
        (i) => [i.name, i.id],
      ),
    );
    const mcp = await connectMcp(services, project.id, "tasks-test");
    try {
      const seen: string[] = [];
      let cursor: string | undefined;
      const moved = new Set<string>();
      for (let page = 0; page < 10; page++) {
        const r = await mcp.call("list_changes", { limit: 4, ...(cursor ? { cursor } : {}) });
        expect(r.isError).toBe(false);
        seen.push(...(r.body.changes as { name: string }[]).map((c) => c.name));
        // Another client, between pages: a change further down becomes critical (with an offset
        // cursor every row after it shifts by one: one is seen twice).
        const ahead = names.findLast((n) => !seen.includes(n) && !moved.has(n));
        if (ahead) {
          moved.add(ahead);
          await services.specs.setPriority({ id: ids.get(ahead) as string, priority: "critical" });
        }
        cursor = (r.body.nextCursor as string | null) ?? undefined;
        if (!cursor) break;
      }
      const steady = names.filter((n) => !moved.has(n));
      expect(steady.length).toBeGreaterThan(0);
      for (const n of steady) expect(seen.filter((s) => s === n)).toHaveLength(1);
      const bad = await mcp.call("list_changes", { cursor: "not-a-cursor" });
      expect(bad.isError).toBe(true);
      expect(bad.text).toMatch(/cursor/);
    } finally {
      await mcp.close();
    }
  });
});
