import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  freePort,
  MAIN_SPEC,
  openspecRaw,
  postgresReachable,
  type TestDb,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { projects } from "@specsync/db";
import { afterAll, describe, expect, it } from "vitest";
import { serverFilePath } from "../src/server-file";
import { cliEnv, type CliOut as Out, runNode } from "../testing/run-cli";
import { type Launched, launch, until } from "./process-group";

// The installed bin, as a person runs it (`pnpm build` first).
const BIN = path.resolve(fileURLToPath(import.meta.url), "../../dist/bin/specsync.js");
if (!existsSync(BIN) && process.env.CI) throw new Error(`${BIN} is missing: run \`pnpm build\``);

const TOKEN = "lcli-test-token-0123456789abcdef";
const pgOk = await postgresReachable();
const specsync = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  runNode([BIN, ...args], cwd, { SPECSYNC_LOG: "silent", ...env });

const LOUD_DELTA =
  "## MODIFIED Requirements\n### Requirement: Demo behaviour\nThe system SHALL demo loudly.\n\n#### Scenario: Demo works\n- **WHEN** a user demos\n- **THEN** it works, loudly\n";

function workspace(): string {
  const root = tempRepo();
  writeTree(root, {
    "specs/demo/spec.md": MAIN_SPEC,
    ...changeFiles("add-loud"),
    "changes/add-loud/specs/demo/spec.md": LOUD_DELTA,
    ...changeFiles("add-broken"),
    "changes/add-broken/specs/demo/spec.md":
      "## ADDED Requirements\n### Requirement: Broken\nThe system SHALL break.\n",
  });
  return root;
}

// Everything a person would run, in order: errors, text and --json, each exit code.
const SCRIPT: string[][] = [
  ["new", "Bad_Name"],
  ["new", "add-thing", "--goal", "Ship it", "--json"],
  ["new", "add-thing"],
  ["new"],
  ["validate", "add-broken"],
  ["validate", "add-broken", "--json"],
  ["validate", "add-loud", "--json"],
  ["validate", "nope"],
  // Errors with --json: `{error, message}` on stdout, from the server as from the CLI alone.
  ["validate", "nope", "--json"],
  ["new", "Bad_Name", "--json"],
  ["claim", "nope", "--owner", "bob", "--json"],
  ["archive", "add-loud", "--preview"],
  ["archive", "add-loud", "--preview", "--json"],
  ["next", "--json"],
  ["next", "--explain"],
  ["claim", "add-loud", "--owner", "bob", "--json"],
  ["claim", "add-loud", "--owner", "bob", "--lease", "60"],
  ["claim", "add-loud", "--owner", "eve"],
  ["claim", "add-loud", "--owner", "bob", "--lease", "5"],
  ["release", "add-loud", "--owner", "eve"],
  ["release", "add-loud", "--owner", "bob", "--json"],
  ["release", "add-loud"],
  // Someone else's claim: refused, then forced (`--force` reaches the server too).
  ["claim", "add-loud", "--owner", "carol"],
  ["archive", "add-loud", "--owner", "eve"],
  ["archive", "add-loud", "--owner", "eve", "--force", "--json"],
  ["archive", "add-loud"],
  ["archive", "add-broken"],
];

/** What differs between two repositories by nature: their paths, row ids, clock readings. */
function normalize(out: Out, root: string): Out {
  const clean = (s: string) =>
    s
      .replaceAll(root, "<root>")
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
      .replace(/"(id|historyId|version|durationMs)": [\d.]+/g, '"$1": <n>');
  return { stdout: clean(out.stdout), stderr: clean(out.stderr), exitCode: out.exitCode };
}

describe.skipIf(!existsSync(BIN))(
  "lifecycle commands while a server holds the embedded database",
  () => {
    let server: Launched | undefined;
    afterAll(async () => {
      await server?.stop();
      cleanupTempRepos();
    });

    it("go to the server (with its token) and print what they print without one", async () => {
      const alone = workspace();
      const served = workspace();
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      server = launch(process.execPath, [BIN, "serve", "--port", String(port)], {
        cwd: served,
        env: { ...cliEnv(), SPECSYNC_TOKEN: TOKEN, SPECSYNC_CRON: "0 0 1 1 *" },
      });
      const running = server;
      await until(
        "the server",
        running,
        async () =>
          existsSync(serverFilePath(served)) &&
          (await fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${TOKEN}` } })).ok,
        120_000,
      );
      const pid = JSON.parse(readFileSync(serverFilePath(served), "utf8")).pid as number;

      // Without the token the server refuses, and the CLI says what to do (nothing was done).
      const noToken = await specsync(["new", "add-secret"], served);
      expect(noToken).toEqual({
        stdout: "",
        stderr: `specsync: the specsync server at ${url} wants a token: set SPECSYNC_TOKEN to the server's\n`,
        exitCode: 1,
      });
      expect(existsSync(path.join(served, "openspec/changes/add-secret"))).toBe(false);
      const noTokenJson = await specsync(["new", "add-secret", "--json"], served);
      expect(noTokenJson.exitCode).toBe(1);
      expect(JSON.parse(noTokenJson.stdout)).toEqual({
        error: "UNAUTHORIZED",
        message: `the specsync server at ${url} wants a token: set SPECSYNC_TOKEN to the server's`,
      });
      expect(existsSync(path.join(served, "openspec/changes/add-secret"))).toBe(false);

      // Reads need no server: without the token (or with a wrong one) the files answer, exactly
      // openspec's stdout, and one line on stderr says why.
      for (const [token, why] of [
        [undefined, "is unset"],
        ["not-the-token-0123456789", "is not the server's"],
      ] as const) {
        for (const args of [
          ["list", "--json"],
          ["list", "--specs", "--json"],
          ["show", "add-loud", "--json"],
          ["show", "nope", "--json"],
        ]) {
          const env: Record<string, string> = token ? { SPECSYNC_TOKEN: token } : {};
          const ours = await specsync(args, served, env);
          const theirs = await openspecRaw(served, args);
          const label = `${args.join(" ")} (token ${why})`;
          expect(ours.stdout, label).toBe(theirs.stdout);
          expect(ours.exitCode, label).toBe(theirs.code);
          expect(ours.stderr, label).toBe(
            `specsync: the server at ${url} (pid ${pid}) wants a token (SPECSYNC_TOKEN ${why}): ` +
              `read from the files\n${theirs.stderr}`,
          );
        }
      }

      for (const args of SCRIPT) {
        const expected = normalize(await specsync(args, alone), alone);
        const actual = normalize(await specsync(args, served, { SPECSYNC_TOKEN: TOKEN }), served);
        expect(actual, `specsync ${args.join(" ")}`).toEqual(expected);
      }
      // The server did them: its files moved, and it is still the one holding the database.
      expect(existsSync(path.join(served, "openspec/changes/add-thing/.openspec.yaml"))).toBe(true);
      expect(existsSync(path.join(served, "openspec/changes/add-loud"))).toBe(false);
      expect(JSON.parse(readFileSync(serverFilePath(served), "utf8")).pid).toBe(pid);

      // Commands that need the data directory itself are still refused, naming the server.
      for (const command of ["sync", "history", "conflicts"]) {
        const refused = await specsync([command], served, { SPECSYNC_TOKEN: TOKEN });
        expect(refused.exitCode, command).toBe(1);
        expect(refused.stderr, command).toContain(
          `specsync: specsync is already running for this repository at ${url} (pid ${pid}); its embedded database`,
        );
        expect(refused.stderr, command).toContain(
          "Stop it first, or do this through the running server",
        );
      }

      // A repository the server does not watch, on the same data directory: refused, saying why.
      const other = workspace();
      const dataDir = path.join(served, ".specsync", "pglite");
      const unwatched = await specsync(["new", "add-other"], other, {
        SPECSYNC_TOKEN: TOKEN,
        SPECSYNC_DATA_DIR: dataDir,
      });
      expect(unwatched.exitCode).toBe(1);
      expect(unwatched.stderr).toContain(
        `specsync: the specsync server at ${url} (pid ${pid}) holds the embedded database ${dataDir} but does not watch ${other}: add this repository to that server`,
      );
      expect(existsSync(path.join(other, "openspec/changes/add-other"))).toBe(false);
    }, 600_000);

    it("a server for this repository on another embedded database: refused, never a second database", async () => {
      // Found by an outside tester: the server ran with SPECSYNC_DATA_DIR elsewhere; `claim` without
      // it created <repo>/.specsync/pglite, and after `sync` there claimed a change the server's
      // agents held (two owners at once); before that it answered "no change named …".
      const served = workspace();
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const elsewhere = path.join(tempRepo(), "db");
      const other = launch(process.execPath, [BIN, "serve", "--port", String(port)], {
        cwd: served,
        env: { ...cliEnv(), SPECSYNC_DATA_DIR: elsewhere, SPECSYNC_CRON: "0 0 1 1 *" },
      });
      try {
        await until(
          "the server",
          other,
          async () => existsSync(serverFilePath(served)) && (await fetch(`${url}/healthz`)).ok,
          120_000,
        );
        const pid = JSON.parse(readFileSync(serverFilePath(served), "utf8")).pid as number;
        // Commands that keep or read state too (session 22: `sync` made a second database there
        // and `history` answered from it): refused alike, naming both databases.
        for (const args of [
          ["claim", "add-loud", "--owner", "eve"],
          ["next", "--owner", "eve", "--claim"],
          ["new", "add-elsewhere"],
          ["archive", "add-loud"],
          ["sync"],
          ["history"],
          ["conflicts", "--json"],
          ["migrate"],
        ]) {
          const out = await specsync(args, served);
          const why = `specsync is already running for this repository at ${url} (pid ${pid}) on another database than this command's (the embedded ${path.join(served, ".specsync", "pglite")}); the server's is the embedded ${elsewhere}: `;
          expect(out.exitCode, args.join(" ")).toBe(1);
          // With --json the refusal is also the JSON error object on stdout (cli-guards.test.ts).
          if (args.includes("--json"))
            expect(JSON.parse(out.stdout), args.join(" ")).toEqual({
              error: "ERROR",
              message: expect.stringContaining(why),
            });
          else expect(out.stdout, args.join(" ")).toBe("");
          expect(out.stderr, args.join(" ")).toContain(`specsync: ${why}`);
        }
        // `specsync mcp` (what an MCP client spawns) too, on its default data dir or the server's.
        for (const env of [{}, { SPECSYNC_DATA_DIR: elsewhere }] as Record<string, string>[]) {
          const mcp = await specsync(["mcp", "--project", served], served, env);
          expect(mcp.exitCode, JSON.stringify(env)).toBe(1);
          expect(mcp.stdout).toBe("");
          expect(mcp.stderr, JSON.stringify(env)).toContain(
            `specsync is already running for this repository at ${url} (pid ${pid}) on its embedded database: point the MCP client at ${url}/mcp`,
          );
        }
        expect(existsSync(path.join(served, ".specsync", "pglite"))).toBe(false);
        expect(existsSync(path.join(served, "openspec/changes/add-elsewhere"))).toBe(false);
        expect(existsSync(path.join(served, "openspec/changes/add-loud"))).toBe(true);
        // With the server's setting the command goes to the server, as before.
        const claimed = await specsync(["claim", "add-loud", "--owner", "eve", "--json"], served, {
          SPECSYNC_DATA_DIR: elsewhere,
        });
        expect(claimed.exitCode, claimed.stderr).toBe(0);
      } finally {
        await other.stop();
      }
    }, 600_000);

    it.skipIf(!pgOk)(
      "a server on PostgreSQL: server.json names its database without credentials; a CLI on another database is refused",
      async () => {
        // session 22: server.json did not name the database, so `DATABASE_URL=<another> specsync
        // claim` claimed in a database the server never reads (two owners of one change).
        const [ours, another] = [await createTestDb("postgres"), await createTestDb("postgres")];
        const dbName = (db: TestDb) => new URL(db.url ?? "").pathname.slice(1);
        const served = workspace();
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const secretUrl = (ours.url ?? "").replace("postgres@", "postgres:s3cret-pw@");
        const server = launch(process.execPath, [BIN, "serve", "--port", String(port)], {
          cwd: served,
          env: { ...cliEnv(), DATABASE_URL: secretUrl, SPECSYNC_CRON: "0 0 1 1 *" },
        });
        try {
          await until(
            "the server",
            server,
            async () => existsSync(serverFilePath(served)) && (await fetch(`${url}/healthz`)).ok,
            120_000,
          );
          const raw = readFileSync(serverFilePath(served), "utf8");
          expect(raw).not.toContain("s3cret-pw");
          expect(raw).not.toContain("@");
          const advertised = JSON.parse(raw);
          expect(advertised.database).toEqual({
            kind: "postgres",
            host: "localhost",
            port: 5432,
            database: dbName(ours),
          });
          const pid = advertised.pid as number;
          const running = `specsync: specsync is already running for this repository at ${url} (pid ${pid}) on another database than this command's`;
          const theirs = `the server's is PostgreSQL localhost:5432/${dbName(ours)}: `;
          for (const args of [
            ["claim", "add-loud", "--owner", "eve"],
            ["next", "--owner", "eve", "--claim"],
            ["archive", "add-loud"],
            ["sync"],
            ["history"],
            ["conflicts"],
            ["migrate"],
            ["mcp"],
          ]) {
            const out = await specsync(args, served, { DATABASE_URL: another.url ?? "" });
            expect(out.exitCode, args.join(" ")).toBe(1);
            expect(out.stdout, args.join(" ")).toBe("");
            expect(out.stderr, args.join(" ")).toContain(
              `${running} (PostgreSQL localhost:5432/${dbName(another)}); ${theirs}`,
            );
          }
          // Nothing reached the other database (not even the project row a sync would add).
          const rows = await another.database.db.select({ id: projects.id }).from(projects);
          expect(rows).toEqual([]);
          // The embedded default beside it: refused too, and no .specsync/pglite made.
          const embedded = await specsync(["sync"], served);
          expect(embedded.exitCode).toBe(1);
          expect(embedded.stderr).toContain(
            `${running} (the embedded ${path.join(served, ".specsync", "pglite")}); ${theirs}`,
          );
          expect(existsSync(path.join(served, ".specsync", "pglite"))).toBe(false);
          expect(existsSync(path.join(served, "openspec/changes/add-loud"))).toBe(true);
          // The server's database by another spelling (localhost, no password) is the same one.
          const same = { DATABASE_URL: `postgres://postgres@localhost:5432/${dbName(ours)}` };
          const claimed = await specsync(
            ["claim", "add-loud", "--owner", "eve", "--json"],
            served,
            same,
          );
          expect(claimed.exitCode, claimed.stderr).toBe(0);
          const history = await specsync(["history", "--json"], served, same);
          expect(history.exitCode, history.stderr).toBe(0);
        } finally {
          await server.stop();
          await ours.drop();
          await another.drop();
        }
      },
      600_000,
    );
  },
);
