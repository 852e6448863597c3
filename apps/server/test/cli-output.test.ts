import { execFile, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  cleanupTempRepos,
  openspecRaw,
  tempRepo,
  writeHardCases,
  writeTree,
} from "@specsync/api/testing";
import { describeEachDb } from "@specsync/api/testing/each-db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { serverFilePath } from "../src/server-file";
import { startTestServer, waitFor } from "../testing";
import { bundleCli, ONE_SHOT_FLAGS, removeBundle } from "../testing/bundle";

afterAll(cleanupTempRepos);

// The CLI bundled once to plain JavaScript: each command then loads in a fraction of the CPU
// `node --import tsx` spent compiling the sources.
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
}, 60_000);
afterAll(() => removeBundle(CLI));
type Out = { stdout: string; stderr: string; exitCode: number };

/** The real `specsync` command in its own process, with only the settings given here. */
function specsync(args: string[], env: Record<string, string>): Promise<Out> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("SPECSYNC_") && k !== "DATABASE_URL" && k !== "INIT_CWD",
    ),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...ONE_SHOT_FLAGS, CLI, ...args],
      { env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ stdout, stderr, exitCode: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

const openspec = async (root: string, args: string[]): Promise<Out> => {
  const r = await openspecRaw(root, [...args, "--json"]);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code };
};

/** The raw bytes of `specsync <args> --json` equal those of `openspec <args> --json`. */
async function expectSame(root: string, args: string[], env: Record<string, string>) {
  const [ours, theirs] = await Promise.all([
    specsync([...args, "--json", "--project", root], env),
    openspec(root, args),
  ]);
  expect(ours, `specsync ${args.join(" ")}`).toEqual(theirs);
}

/** The hard cases plus a hidden change folder (listed by the CLI, never synced by specsync). */
function hardRepo(): string {
  const root = tempRepo();
  writeHardCases(root);
  writeTree(root, {
    "changes/.draft/proposal.md": "# Change: Hidden\n\n## Why\nw\n\n## What Changes\n- x\n",
    "changes/.draft/tasks.md": "- [ ] t\n",
  });
  return root;
}

const CASES = [
  ["list"],
  ["list", "--specs"],
  ["list", "--sort", "name"],
  ["list", "--sort", "bogus"],
  ["show", ".draft"],
  ["show", ".draft", "--type", "change"],
  ["show", "link-to-fences"],
  ["show", "link-to-fences", "--type", "change"],
  ["show", "fences"],
  ["show", "all-ops", "--type", "change"],
  ["show", "cli/init"],
  ["show", "no-proposal"],
  ["show", "group"],
  ["show", "cli-tools"],
  ["show", "nope"],
  ["show", "demo", "--type", "change"],
];

describeEachDb("the specsync command prints what openspec prints", (db, driver) => {
  it("no server running: read from the files, the database left alone", async () => {
    const root = hardRepo();
    const dataDir = mkdtempSync(path.join(tmpdir(), "specsync-cli-pglite-"));
    const env: Record<string, string> = db().url
      ? { DATABASE_URL: db().url! }
      : { SPECSYNC_DATA_DIR: dataDir };
    for (const args of CASES) await expectSame(root, args, env);
    // An edit is in the very next answer: the files are read, not a copy of them.
    writeFileSync(path.join(root, "openspec/changes/fences/tasks.md"), "- [x] done at once\n");
    await expectSame(root, ["list"], env);
    if (!db().url)
      expect(readdirSync(dataDir), "the embedded database is never opened").toEqual([]);
    else
      expect(
        await db().database.query("select 1 from projects where root_path = $1", [root]),
      ).toEqual([]);
  }, 240_000);

  // Not about the database server: run once.
  it.skipIf(driver === "postgres")(
    "with a throwaway database (SPECSYNC_DATA_DIR=memory://) the files answer, never an empty list",
    async () => {
      const root = hardRepo();
      await expectSame(root, ["list"], { SPECSYNC_DATA_DIR: "memory://" });
    },
    120_000,
  );

  // `openspec show` takes an unknown option as the name (F10): `specsync show -n-dash` said
  // "Unknown option '-n'".
  it.skipIf(driver === "postgres")(
    "a change folder whose name starts with `-`, and an unknown option, as openspec shows them",
    async () => {
      const root = tempRepo();
      writeTree(root, {
        "changes/-n-dash/proposal.md": "## Why\nx\n\n## What Changes\n- y\n",
        "changes/-n-dash/tasks.md": "- [ ] a\n",
      });
      const env = { SPECSYNC_DATA_DIR: "memory://" };
      for (const args of [["show", "-n-dash"], ["show", "--zz"], ["list"]])
        await expectSame(root, args, env);
    },
    120_000,
  );

  // break-api F2: openspec refuses to count a tasks.md that leaves its change folder (a link out,
  // dangling, a loop) and fails the whole list; specsync listed the change.
  it("a tasks.md linked out of its change folder fails list as it fails openspec list", async () => {
    const root = tempRepo();
    const outside = mkdtempSync(path.join(tmpdir(), "specsync-outside-"));
    writeFileSync(path.join(outside, "tasks.md"), "- [ ] secret\n");
    writeTree(root, {
      "changes/a-ok/proposal.md": "## Why\nx\n\n## What Changes\n- y\n",
      "changes/b-out/proposal.md": "## Why\nx\n\n## What Changes\n- y\n",
      "changes/c-sibling/proposal.md": "## Why\nx\n\n## What Changes\n- y\n",
    });
    const changes = path.join(root, "openspec/changes");
    symlinkSync(path.join(outside, "tasks.md"), path.join(changes, "b-out/tasks.md"));
    symlinkSync("../a-ok/proposal.md", path.join(changes, "c-sibling/tasks.md"));
    const env: Record<string, string> = db().url
      ? { DATABASE_URL: db().url! }
      : { SPECSYNC_DATA_DIR: "memory://" };
    const cases = [["list"], ["list", "--sort", "name"], ["list", "--specs"]];
    for (const args of cases) await expectSame(root, args, env);
    // A running server answers the same from its database.
    const server = await startTestServer({ databaseUrl: db().url, projects: [root] });
    try {
      for (const args of cases) await expectSame(root, args, env);
      // Dangling (reported first: `a-ok` comes first in directory order), then a loop.
      symlinkSync(path.join(outside, "gone.md"), path.join(changes, "a-ok/tasks.md"));
      await expectSame(root, ["list"], env);
      rmSync(path.join(changes, "a-ok/tasks.md"));
      symlinkSync("tasks.md", path.join(changes, "a-ok/tasks.md"));
      await expectSame(root, ["list"], env);
    } finally {
      await server.stop();
    }
    rmSync(outside, { recursive: true, force: true });
  }, 240_000);

  it("asks the server running for the project over HTTP, with its token, and falls back when it is gone", async () => {
    const root = hardRepo();
    const token = "t0ken-for-the-cli-test";
    const server = await startTestServer({ databaseUrl: db().url, projects: [root], token });
    const advertised = JSON.parse(readFileSync(serverFilePath(root), "utf8"));
    expect(advertised).toMatchObject({ url: server.url, pid: process.pid, roots: [root] });
    // A database this process cannot reach: only the server can answer.
    const unreachable = {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing",
      SPECSYNC_TOKEN: token,
    };
    try {
      await expectSame(root, ["list"], unreachable);
      await expectSame(root, ["show", "fences"], unreachable);
      await expectSame(root, ["show", "nope", "--type", "spec"], unreachable);
      for (const args of [
        ["list", "--sort", "name"],
        ["show", ".draft", "--type", "change"],
        ["show", "link-to-fences", "--type", "change"],
      ])
        await expectSame(root, args, unreachable);
      // An edit on disk reaches the answer through the server's watcher.
      writeFileSync(path.join(root, "openspec/changes/fences/tasks.md"), "- [x] all done now\n");
      await waitFor(
        async () => {
          const [ours, theirs] = await Promise.all([
            specsync(["list", "--json", "--project", root], unreachable),
            openspec(root, ["list"]),
          ]);
          return ours.stdout === theirs.stdout && ours.stdout.includes('"complete"');
        },
        15_000,
        "the edit to show up in specsync list",
      );
      // Without the token the server would refuse: the CLI reads the files instead (they are the
      // truth), prints exactly openspec's answer and says why on stderr.
      const [fallback, theirs] = await Promise.all([
        specsync(["list", "--json", "--project", root], { DATABASE_URL: unreachable.DATABASE_URL }),
        openspec(root, ["list"]),
      ]);
      expect(fallback.stderr).toMatch(/SPECSYNC_TOKEN/);
      expect(fallback.stdout).toBe(theirs.stdout);
      expect(fallback.exitCode).toBe(0);
    } finally {
      await server.stop();
    }
    expect(existsSync(serverFilePath(root))).toBe(false);
    // A live process advertised for the project that does not answer: the files answer (the data directory
    // that process may hold is never opened).
    writeFileSync(
      serverFilePath(root),
      JSON.stringify({ url: "http://127.0.0.1:1", pid: process.pid, roots: [root] }),
    );
    await expectSame(
      root,
      ["list"],
      db().url
        ? { DATABASE_URL: db().url! }
        : { SPECSYNC_DATA_DIR: mkdtempSync(path.join(tmpdir(), "specsync-cli-pglite-")) },
    );
    // A stale file (its process is gone) is ignored: the files answer.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    writeFileSync(
      serverFilePath(root),
      JSON.stringify({ url: "http://127.0.0.1:1", pid: dead, roots: [root] }),
    );
    await expectSame(
      root,
      ["list", "--specs"],
      db().url ? { DATABASE_URL: db().url! } : { SPECSYNC_DATA_DIR: "memory://" },
    );
  }, 240_000);
});
