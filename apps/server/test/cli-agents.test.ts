import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServices } from "@specsync/api";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  postgresReachable,
  type TestDb,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli, removeBundle } from "../testing/bundle";

const run = promisify(execFile);
// The CLI bundled once to plain JavaScript: each command loads in a fraction of the CPU
// `node --import tsx` spent compiling the sources.
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
}, 60_000);
afterAll(() => removeBundle(CLI));
const pgOk = await postgresReachable();

describe.skipIf(!pgOk)("specsync next / claim / release (the real command)", () => {
  let testDb: TestDb;
  let root: string;
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args, "--project", root], {
        env: { ...process.env, DATABASE_URL: testDb.url!, SPECSYNC_LOG: "silent" },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    root = tempRepo();
    const other = changeFiles("add-b");
    other["changes/add-b/specs/other/spec.md"] = other["changes/add-b/specs/demo/spec.md"]!;
    delete other["changes/add-b/specs/demo/spec.md"];
    writeTree(root, { ...changeFiles("add-a"), ...other });
    const s = createServices(testDb.database);
    const project = await s.sync.ensureProject(root);
    await s.sync.syncProject(project, "manual");
    for (const i of (await s.specs.list({ projectId: project.id, kind: "change" })).items)
      await s.specs.setStatus({ id: i.id, status: "approved" });
  }, 60_000);
  afterAll(async () => {
    await testDb?.drop();
    cleanupTempRepos();
  });

  it("claims, refuses a second owner and bad leases, explains the queue, releases", async () => {
    const claimed = await cli("claim", "add-a", "--owner", "agent-1", "--lease", "600", "--json");
    expect(claimed.code).toBe(0);
    expect(JSON.parse(claimed.stdout)).toMatchObject({
      name: "add-a",
      renewed: false,
      claim: { owner: "agent-1" },
    });

    const taken = await cli("claim", "add-a", "--owner", "agent-2");
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/specsync: add-a is claimed by agent-1 until \d{4}-/);
    for (const lease of ["0", "315360000"]) {
      const bad = await cli("claim", "add-b", "--owner", "agent-2", "--lease", lease);
      expect(bad.code, lease).toBe(1);
      expect(bad.stderr).toMatch(/specsync: leaseSeconds: /);
    }
    // Not a number: said in the command's terms, not zod's "received NaN".
    for (const lease of ["ten", "1e3", "60.5", " 60"]) {
      const bad = await cli("claim", "add-b", "--owner", "agent-2", "--lease", lease);
      expect(bad.code, lease).toBe(1);
      expect(bad.stderr, lease).toBe(
        `specsync: --lease takes a whole number of seconds, e.g. --lease 600 (got "${lease}")\n`,
      );
    }
    expect((await cli("claim", "no-such-change", "--owner", "agent-2")).stderr).toMatch(
      /no change named no-such-change/,
    );
    expect((await cli("release", "add-a", "--owner", "agent-2")).stderr).toMatch(
      /claimed by agent-1, not by agent-2/,
    );

    const next = await cli("next", "--owner", "agent-2", "--claim", "--explain", "--json");
    expect(next.code).toBe(0);
    const body = JSON.parse(next.stdout);
    expect(body.change.name).toBe("add-b");
    expect(body.claim.owner).toBe("agent-2");
    expect(body.skipped).toEqual([
      { name: "add-a", reason: expect.stringMatching(/^claimed by agent-1 until/) },
    ]);
    const empty = await cli("next", "--owner", "agent-3");
    expect(empty.code).toBe(3);
    expect(empty.stdout).toMatch(/nothing to start/);

    expect((await cli("release", "add-a", "--owner", "agent-1")).stdout).toMatch(/add-a released/);
    expect(JSON.parse((await cli("next", "--owner", "agent-3", "--json")).stdout).change.name).toBe(
      "add-a",
    );
  }, 120_000);
});
