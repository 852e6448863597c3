import { execFile } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverFilePath } from "../src/server-file";
import { bundleCli, ONE_SHOT_FLAGS, removeBundle } from "../testing/bundle";

afterAll(cleanupTempRepos);

/** The CLI bundled from the current sources once for the file (testing/bundle.ts). */
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
});
afterAll(() => removeBundle(CLI));
type Out = { stdout: string; stderr: string; exitCode: number };

const baseEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !k.startsWith("SPECSYNC_") && !["DATABASE_URL", "INIT_CWD", "PORT", "WEB_PORT"].includes(k),
    ),
  );

/** The real `specsync` command, run from `cwd` with only the settings given here. */
function specsync(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Out> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...ONE_SHOT_FLAGS, CLI, ...args],
      { cwd, env: { ...baseEnv(), ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ stdout, stderr, exitCode: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

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
