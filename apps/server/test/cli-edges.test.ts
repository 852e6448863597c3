import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  changeFiles,
  cleanupTempRepos,
  openspecRaw,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverFilePath } from "../src/server-file";
import { bundleCli, ONE_SHOT_FLAGS, removeBundle } from "../testing/bundle";
import { runNode } from "../testing/run-cli";

afterAll(cleanupTempRepos);

/** The CLI bundled from the current sources once for the file (testing/bundle.ts). */
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
});
afterAll(() => removeBundle(CLI));
/** The real `specsync` command, run from `cwd` with only the settings given here. */
const specsync = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  runNode([...ONE_SHOT_FLAGS, CLI, ...args], cwd, env);

// Attacker (session 26): plain `list` beside a server that wants a token fell back to the files
// with a note on stderr — but when the files gave an error, the human rendering dropped the note.
describe("list beside a server that wants a token", () => {
  it("says why it read the files, also when the files answer an error", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-ok"));
    // A tasks.md linked out of its change folder fails the whole list (openspec's list_error).
    writeFileSync(path.join(root, "outside.md"), "- [ ] 1.1 x\n");
    const broken = path.join(root, "openspec", "changes", "add-broken");
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, "proposal.md"), "## Why\nx\n");
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/healthz" ? 200 : 401).end(req.url === "/healthz" ? "{}" : "");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    const advertise = () => {
      mkdirSync(path.dirname(serverFilePath(root)), { recursive: true });
      const file = { url, pid: process.pid, roots: [root] };
      writeFileSync(serverFilePath(root), `${JSON.stringify(file)}\n`);
    };
    const note = `specsync: the server at ${url} (pid ${process.pid}) wants a token (SPECSYNC_TOKEN is unset): read from the files\n`;
    const env = { SPECSYNC_DATA_DIR: "memory://" };
    try {
      for (const failing of [false, true]) {
        if (failing) symlinkSync(path.join(root, "outside.md"), path.join(broken, "tasks.md"));
        for (const args of [["list"], ["list", "--specs"], ["list", "--json"]]) {
          const label = `${args.join(" ")}${failing ? " (files fail)" : ""}`;
          rmSync(serverFilePath(root), { force: true });
          const alone = await specsync(args, root, env);
          advertise();
          const beside = await specsync(args, root, env);
          expect(beside, label).toEqual({ ...alone, stderr: note + alone.stderr });
          if (failing && !args.includes("--specs")) expect(alone.exitCode, label).toBe(1);
        }
      }
    } finally {
      server.close();
    }
  }, 120_000);
});

/** Every file and folder under `dir` (relative), to show a command created nothing there. */
const tree = (dir: string): string[] =>
  existsSync(dir) && statSync(dir).isDirectory()
    ? readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()
    : [];

// Attacker (session 26): `conflicts --json --project /missing` answered `{"conflicts": []}`, exit 0,
// and created /missing/.specsync/; every command that takes --project did the like.
describe("--project that is no project", () => {
  const ONE_SHOT = [
    ["sync"],
    ["history"],
    ["conflicts"],
    ["migrate"],
    ["new", "add-x"],
    ["validate", "add-x"],
    ["archive", "add-x"],
    ["next"],
    ["claim", "add-x", "--owner", "bob"],
    ["release", "add-x", "--owner", "bob"],
    // Servers: refused before they listen (a port of this helper's range, should one start).
    ["serve", "--port", "4613"],
    ["start", "--port", "4614", "--web-port", "4615", "--no-web"],
    ["mcp"],
  ];

  it("missing, a file, or no openspec/: a clear error, exit 1, nothing created", async () => {
    const base = mkdtempSync(path.join(tmpdir(), "specsync-edges-"));
    const cwd = path.join(base, "cwd");
    const file = path.join(base, "a-file");
    const bare = path.join(base, "bare");
    mkdirSync(cwd);
    mkdirSync(bare);
    writeFileSync(file, "not a folder\n");
    const cases = [
      [
        path.join(base, "missing"),
        "NOT_FOUND",
        `project folder ${path.join(base, "missing")} does not exist`,
      ],
      [file, "BAD_REQUEST", `project ${file} is not a folder`],
      [bare, "NOT_FOUND", `no openspec/ folder in ${bare}: pass the folder that holds openspec/`],
    ] as const;
    try {
      for (const [dir, code, message] of cases)
        for (const args of ONE_SHOT)
          for (const json of [true, false]) {
            const label = `${args.join(" ")} --project ${dir}${json ? " --json" : ""}`;
            const out = await specsync(
              [...args, "--project", dir, ...(json ? ["--json"] : [])],
              cwd,
            );
            expect(out.exitCode, label).toBe(1);
            expect(out.stderr, label).toContain(`specsync: ${message}`);
            if (json) expect(JSON.parse(out.stdout), label).toMatchObject({ error: code });
            else expect(out.stdout, label).toBe("");
            expect(tree(dir), label).toEqual([]);
            expect(tree(cwd), label).toEqual([]);
          }
      // list/show read one project: a missing path or a file is an error of ours (stdout stays
      // empty, as for list/show's option errors); a folder without openspec/ answers what
      // openspec answers there, byte for byte.
      for (const [dir, , message] of cases.slice(0, 2))
        for (const args of [["list", "--json"], ["list"], ["show", "x", "--json"]]) {
          const out = await specsync([...args, "--project", dir], cwd);
          expect(out, args.join(" ")).toEqual({
            stdout: "",
            stderr: `specsync: ${message}\n`,
            exitCode: 1,
          });
        }
      for (const args of [
        ["list", "--json"],
        ["list", "--specs", "--json"],
        ["show", "x", "--json"],
        ["show", "x"],
      ]) {
        const ours = await specsync([...args, "--project", bare], cwd);
        const theirs = await openspecRaw(bare, args);
        expect(ours, args.join(" ")).toEqual({
          stdout: theirs.stdout,
          stderr: theirs.stderr,
          exitCode: theirs.code,
        });
      }
      expect(tree(bare)).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 300_000);
});

// Attacker (session 26): an owner with a bidi override, zero-width or control character could fake
// another name in the web UI, the CLI's output and the claim history.
describe("owner names on the command line", () => {
  it("a faked owner is refused with a clear message, nothing claimed; a name in any script works", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-owner"));
    const env = { SPECSYNC_DATA_DIR: path.join(root, ".specsync", "db") };
    expect(await specsync(["sync"], root, env)).toMatchObject({ exitCode: 0 });
    for (const [owner, code] of [
      ["bob\u202Eeve", "U+202E"],
      ["b\u200Bob", "U+200B"],
      ["bob\neve", "U+000A"],
    ] as const)
      for (const args of [
        ["claim", "add-owner", "--owner", owner, "--json"],
        ["next", "--owner", owner, "--claim", "--json"],
        ["archive", "add-owner", "--force", "--owner", owner, "--json"],
        ["new", "add-more", "--actor", owner, "--json"],
      ]) {
        const out = await specsync(args, root, env);
        const label = `${args[0]} ${JSON.stringify(owner)}`;
        expect(out.exitCode, label).toBe(1);
        expect(JSON.parse(out.stdout), label).toMatchObject({ error: "BAD_REQUEST" });
        expect(out.stderr, label).toMatch(/^specsync: (owner|actor): must be a plain name: /);
        expect(out.stderr, label).toContain(`(found ${code})\n`);
      }
    // Nothing was claimed above: another owner takes the change at once.
    const claimed = await specsync(
      ["claim", "add-owner", "--owner", "日本語 🤖", "--json"],
      root,
      env,
    );
    expect(claimed.exitCode, claimed.stderr).toBe(0);
    expect(JSON.parse(claimed.stdout).claim).toMatchObject({ owner: "日本語 🤖" });
  }, 120_000);
});

// Odd --project values and arguments (session 27): each ran somewhere it should not, or twice.
describe("odd --project values and arguments", () => {
  it("a link and its target (or one path twice) are one project; empty or two on a one-project command: refused", async () => {
    const base = mkdtempSync(path.join(tmpdir(), "specsync-edges-"));
    const repo = path.join(base, "my repo\nwith a newline");
    writeTreeAt(repo, changeFiles("add-one"));
    symlinkSync(repo, path.join(base, "link"));
    const cwd = path.join(base, "cwd");
    mkdirSync(cwd);
    const env = { SPECSYNC_DATA_DIR: path.join(base, "db") };
    try {
      const synced = await specsync(
        ["sync", "--json", "--project", "../link", "--project", repo, "--project", `${repo}/`],
        cwd,
        env,
      );
      expect(synced.exitCode, synced.stderr).toBe(0);
      expect(JSON.parse(synced.stdout).projects).toEqual([
        { project: repo, total: 1, changed: 1, failed: 0, errors: [] },
      ]);
      // The database has the one project: the link's history is the repository's.
      const history = await specsync(["history", "--json", "--project", "../link"], cwd, env);
      expect(JSON.parse(history.stdout).items).toHaveLength(1);
      for (const args of [
        ["conflicts", "--json", "--project="],
        ["sync", "--json", "--project", ""],
        ["history", "--json", "--project", repo, "--change="],
      ]) {
        const out = await specsync(args, cwd, env);
        expect(out.exitCode, args.join(" ")).toBe(1);
        expect(JSON.parse(out.stdout), args.join(" ")).toMatchObject({ error: "BAD_REQUEST" });
        expect(out.stderr, args.join(" ")).toMatch(/^specsync: --(project|change) needs a/);
      }
      // A command on one project given two: it used the first and passed over the second.
      const other = path.join(base, "other");
      writeTreeAt(other, changeFiles("add-other"));
      for (const args of [
        ["new", "add-two", "--json"],
        ["conflicts", "--json"],
      ]) {
        const out = await specsync([...args, "--project", repo, "--project", other], cwd, env);
        expect(out.exitCode, args[0]).toBe(1);
        expect(JSON.parse(out.stdout), args[0]).toEqual({
          error: "BAD_REQUEST",
          message: `${args[0]} works on one project: pass --project once (got ${repo}, ${other})`,
        });
      }
      expect(existsSync(path.join(repo, "openspec", "changes", "add-two"))).toBe(false);
      expect(tree(cwd)).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);

  it("an argument too many is refused (openspec's words for list/show), never dropped", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-one"));
    const env = { SPECSYNC_DATA_DIR: path.join(root, ".specsync", "db") };
    const before = tree(path.join(root, "openspec"));
    // `specsync sync ../other-repo` meant --project: it synced the repository around instead.
    for (const args of [
      ["sync", "../other-repo"],
      ["conflicts", "x", "--json"],
      ["new", "add-two", "add-three", "--json"],
      ["claim", "add-one", "extra", "--owner", "bob", "--json"],
      ["next", "x", "--json"],
    ]) {
      const out = await specsync(args, root, env);
      const label = args.join(" ");
      expect(out.exitCode, label).toBe(1);
      expect(out.stderr, label).toMatch(/^specsync: too many arguments for '\w+'\. Expected /);
      if (args.includes("--json"))
        expect(JSON.parse(out.stdout), label).toMatchObject({ error: "BAD_REQUEST" });
    }
    expect(tree(path.join(root, "openspec"))).toEqual(before);
    expect(tree(path.join(root, ".specsync"))).toEqual([]);
    for (const args of [
      ["list", "foo"],
      ["list", "foo", "--json"],
      ["show", "add-one", "b", "--json"],
      ["show", "add-one", "--zz", "--json"],
    ]) {
      const ours = await specsync(args, root, env);
      const theirs = await openspecRaw(root, args);
      expect(ours, args.join(" ")).toEqual({
        stdout: theirs.stdout,
        stderr: theirs.stderr,
        exitCode: theirs.code,
      });
    }
  }, 120_000);

  it("an openspec file (not a folder) in the current folder is no repository", async () => {
    const base = mkdtempSync(path.join(tmpdir(), "specsync-edges-"));
    writeFileSync(path.join(base, "openspec"), "a file\n");
    try {
      const out = await specsync(["conflicts", "--json"], base);
      expect(out.exitCode).toBe(1);
      expect(out.stderr).toBe(
        "specsync: no openspec/ folder here or above; pass --project PATH or set SPECSYNC_PROJECTS\n",
      );
      expect(tree(base)).toEqual(["openspec"]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);
});

/** `writeTree` for a repository at a path of our choosing (spaces, a newline). */
function writeTreeAt(root: string, files: Record<string, string>) {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, "openspec", rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}
