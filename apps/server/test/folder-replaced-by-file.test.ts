import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  MAIN_SPEC,
  openspecJson,
  postgresReachable,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { describeEachDb } from "@specsync/api/testing/each-db";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CLI_SOURCE, startTestServer, type TestServer, TSX_LOADER, waitFor } from "../testing";

// `openspec/changes/<name>/` (or `specs/<cap>/`) deleted and a FILE of that name written in its
// place: `openspec list` skips the file, so specsync treats the folder as removed (gone from the
// lists, its content kept as for any deletion) instead of keeping an empty row; the folder coming
// back brings the same row back.

afterAll(cleanupTempRepos);

const FILES = {
  ...changeFiles("add-demo"),
  ...changeFiles("add-keep"),
  "specs/demo/spec.md": MAIN_SPEC,
  "specs/other/spec.md": MAIN_SPEC.replace("demo", "other"),
};

/** Both folders become files in one go (as `rm -r x && echo > x` does). */
function replaceByFiles(root: string) {
  for (const rel of ["changes/add-demo", "specs/demo"]) {
    const abs = path.join(root, "openspec", rel);
    rmSync(abs, { recursive: true });
    writeFileSync(abs, "not a folder\n");
  }
}

function restoreFolders(root: string) {
  for (const rel of ["changes/add-demo", "specs/demo"]) rmSync(path.join(root, "openspec", rel));
  writeTree(root, {
    ...changeFiles("add-demo"),
    "specs/demo/spec.md": MAIN_SPEC,
  });
}

/** What the CLI lists: the oracle. */
async function cliNames(root: string) {
  const changes = await openspecJson<{ changes: { name: string }[] }>(root, ["list", "--json"]);
  const specs = await openspecJson<{ specs: { id: string }[] }>(root, [
    "list",
    "--specs",
    "--json",
  ]);
  return {
    change: changes.changes.map((c) => c.name).sort(),
    spec: specs.specs.map((s) => s.id).sort(),
  };
}

describeEachDb("a change or spec folder replaced by a file (watcher)", (db) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("the row goes as for a deleted folder, as openspec list says; the folder coming back brings it back", async () => {
    const root = tempRepo();
    writeTree(root, FILES);
    server = await startTestServer({ databaseUrl: db().url, projects: [root] });
    const c = server.client;
    const names = async (kind: "change" | "spec") =>
      (await c.specs.list.query({ kind, sort: "name", limit: 200 })).items.map((i) => i.name);
    const idOf = async (name: string, kind: "change" | "spec") =>
      (await c.specs.list.query({ kind, search: name, limit: 200 })).items.find(
        (i) => i.name === name,
      )?.id ?? "";
    const change = await idOf("add-demo", "change");
    const spec = await idOf("demo", "spec");

    replaceByFiles(root);
    await waitFor(
      async () =>
        !(await names("change")).includes("add-demo") && !(await names("spec")).includes("demo"),
      15_000,
      "the replaced folders gone from the lists",
    );
    const cli = await cliNames(root);
    expect(cli).toEqual({ change: ["add-keep"], spec: ["other"] });
    expect({ change: await names("change"), spec: await names("spec") }).toEqual(cli);
    // Recorded as a deletion, its content kept (restorable), not a failure nor an empty import.
    for (const id of [change, spec]) {
      const [last] = (await c.sync.history.query({ specId: id, limit: 5 })).items;
      expect(last).toMatchObject({ action: "deleted", success: true });
      await expect(c.specs.get.query({ id })).rejects.toThrow(/not found/);
    }
    const [deleted] = (await c.sync.history.query({ specId: change, limit: 5 })).items;
    expect(deleted?.filesChanged).toEqual(expect.arrayContaining(["proposal.md", "tasks.md"]));
    const failures = (await c.sync.history.query({ success: false, limit: 50 })).items;
    expect(failures.map((h) => `${h.name}: ${h.error}`)).toEqual([]);

    // The folders come back: the same rows, live again, with their content.
    restoreFolders(root);
    await waitFor(
      async () =>
        (await names("change")).includes("add-demo") && (await names("spec")).includes("demo"),
      15_000,
      "the folders back in the lists",
    );
    expect(await idOf("add-demo", "change")).toBe(change);
    expect(await idOf("demo", "spec")).toBe(spec);
    const back = await c.specs.get.query({ id: change });
    expect(back.tasksTotal).toBeGreaterThan(0);
    expect(back.files["proposal.md"]).toBe(changeFiles("add-demo")["changes/add-demo/proposal.md"]);
    expect(await names("change")).toEqual((await cliNames(root)).change);
  });
});

const pgOk = await postgresReachable();

describe.skipIf(!pgOk)("a change or spec folder replaced by a file (`specsync sync`)", () => {
  const specsync = (args: string[], cwd: string, url: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("SPECSYNC_")),
      );
      execFile(
        process.execPath,
        ["--import", TSX_LOADER, CLI_SOURCE, ...args],
        { cwd, env: { ...env, DATABASE_URL: url }, timeout: 120_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("a manual sync removes the rows the same way and brings them back", async () => {
    const testDb = await createTestDb("postgres");
    try {
      const url = testDb.url ?? "";
      const root = tempRepo();
      writeTree(root, FILES);
      expect((await specsync(["sync"], root, url)).code).toBe(0);
      const services = createServices(testDb.database);
      const rows = async () =>
        (await services.specs.list({ limit: 200, sort: "name" })).items
          .map((i) => `${i.kind} ${i.name}`)
          .sort();
      const before = await rows();
      expect(before).toEqual(["change add-demo", "change add-keep", "spec demo", "spec other"]);

      replaceByFiles(root);
      const out = await specsync(["sync"], root, url);
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      const cli = await cliNames(root);
      expect(await rows()).toEqual(["change add-keep", "spec other"]);
      expect(cli).toEqual({ change: ["add-keep"], spec: ["other"] });

      restoreFolders(root);
      expect((await specsync(["sync"], root, url)).code).toBe(0);
      expect(await rows()).toEqual(before);
    } finally {
      await testDb.drop();
    }
  });
});
