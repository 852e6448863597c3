import { execFile, execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  utimesSync,
} from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  changeFiles,
  cleanupTempRepos,
  freePort,
  MAIN_SPEC,
  openspecJson,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Launched, launch, until } from "./process-group";

const REPO = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
  throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs it`);

/**
 * A user's shell: none of the variables pnpm/npm set for the test run (INIT_CWD would point
 * specsync at this repo).
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      /^(npm_|pnpm_|INIT_CWD$|PNPM_|SPECSYNC_|DATABASE_URL$|PORT$|WEB_PORT$|HOST$|NODE_OPTIONS$|VITEST|TURBO_)/i.test(
        k,
      )
    )
      continue;
    env[k] = v;
  }
  return { ...env, NEXT_TELEMETRY_DISABLED: "1", ...extra };
}

const run = (cmd: string, args: string[], cwd: string, env = userEnv()) =>
  execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
/**
 * The long set-up steps (build, pack, install: a minute or more on a loaded machine) run without
 * blocking the test worker: vitest's worker gives up on its own RPC after 60 s of a blocked event
 * loop ("Timeout calling onTaskUpdate") and fails a run whose tests all passed.
 */
const runAsync = (cmd: string, args: string[], cwd: string, env = userEnv()) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 }, (err, out, errOut) =>
      err ? reject(Object.assign(err, { stderr: errOut })) : resolve(out),
    ),
  );

// What a user does: npm i -g the packed tarball, then `specsync` in their own repository.
describe.skipIf(!haveChromium)(
  "the packed specsync package, installed with npm into a temp prefix",
  () => {
    let work: string;
    let prefix: string;
    let bin: string;
    let root: string;
    let tarball: string;
    const timings: Record<string, number> = {};
    const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      try {
        return await fn();
      } finally {
        timings[name] = Date.now() - t;
      }
    };

    beforeAll(async () => {
      work = mkdtempSync(path.join(tmpdir(), "specsync-pkg-"));
      prefix = path.join(work, "prefix");
      // The build is turbo's (the web app is cached when .ci/run built it already).
      await timed("build", () =>
        runAsync(
          "pnpm",
          [
            "exec",
            "turbo",
            "run",
            "build",
            "--filter=@specsync/server",
            "--output-logs=errors-only",
          ],
          REPO,
          { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
        ),
      );
      const packed = JSON.parse(
        await timed("pack", () =>
          runAsync(
            "npm",
            ["pack", "./apps/server/dist", "--json", "--pack-destination", work],
            REPO,
          ),
        ),
      ) as { filename: string; size: number; unpackedSize: number }[];
      tarball = path.join(work, packed[0]!.filename);
      timings.tarballBytes = packed[0]!.size;
      // Everything the package needs is inside the tarball: the install works offline.
      await timed("install", () =>
        runAsync(
          "npm",
          [
            "install",
            "--global",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--prefix",
            prefix,
            tarball,
          ],
          work,
        ),
      );
      bin = path.join(prefix, "bin", "specsync");
      root = tempRepo();
      // fix-login's tasks.md is > 64 KiB: parsed on the bundle's worker thread (lib/parse-worker.js);
      // `list` checks its counts.
      const bigTasks = `## 1. Work\n${Array.from({ length: 6000 }, (_, i) => `- [${i % 3 ? " " : "x"}] 1.${i + 1} step number ${i + 1}\n`).join("")}`;
      writeTree(root, {
        ...changeFiles("add-search", "Add full-text search"),
        ...changeFiles("fix-login", "Fix login redirect"),
        "changes/fix-login/tasks.md": bigTasks,
        "specs/demo/spec.md": MAIN_SPEC,
      });
      // Distinct ages, so that the list order (newest first) does not hang on a millisecond.
      const hourAgo = new Date(Date.now() - 3600_000);
      for (const f of readdirSync(path.join(root, "openspec/changes/fix-login"), {
        recursive: true,
        encoding: "utf8",
      }))
        utimesSync(path.join(root, "openspec/changes/fix-login", f), hourAgo, hourAgo);
      run("git", ["init", "-q"], root);
    }, 300_000);

    afterAll(() => {
      console.log(`[packaged-install] ${JSON.stringify(timings)}`);
      cleanupTempRepos();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("is plain JavaScript with its own files: no tsx, no workspace packages, the bin on PATH", () => {
      const installed = path.join(prefix, "lib", "node_modules", "specsync");
      const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as {
        bin: Record<string, string>;
        dependencies: Record<string, string>;
      };
      expect(manifest.bin).toEqual({ specsync: "bin/specsync.js" });
      expect(Object.keys(manifest.dependencies)).toEqual(
        expect.arrayContaining(["@electric-sql/pglite", "@fission-ai/openspec"]),
      );
      expect(existsSync(path.join(installed, "node_modules", "tsx"))).toBe(false);
      const files = run("tar", ["tzf", tarball], work).split("\n");
      expect(files.filter((f) => /\.(ts|tsx)$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
      expect(files).toContain("package/web/server.js");
      expect(files).toContain("package/lib/parse-worker.js");
      // the embedded database's first start (packages/db)
      expect(files).toContain("package/pgdata/template.tar.gz");
      expect(files).toContain("package/node_modules/@electric-sql/pglite/dist/pglite.wasm");
      expect(files).toContain("package/node_modules/@fission-ai/openspec/package.json");
      expect(existsSync(bin)).toBe(true);
    });

    it("`specsync --help` lists every command", () => {
      const help = run(bin, ["--help"], root);
      for (const command of [
        "start",
        "serve",
        "sync",
        "list",
        "show",
        "history",
        "conflicts",
        "migrate",
        "help",
      ])
        expect(help).toMatch(new RegExp(`^  ${command}\\b`, "m"));
      // An unknown command is an error that shows the same list.
      const bad = spawnSync(bin, ["frobnicate"], { cwd: root, env: userEnv(), encoding: "utf8" });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("unknown command: frobnicate");
    });

    it("a port in use is a clear error before any work, not a stranger's server announced as ours", async () => {
      const taken = createServer((_req, res) => res.end("someone else")).listen(0, "127.0.0.1");
      await once(taken, "listening");
      const busy = (taken.address() as { port: number }).port;
      try {
        const r = spawnSync(bin, ["--port", String(await freePort()), "--web-port", String(busy)], {
          cwd: root,
          env: userEnv(),
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(
          `port ${busy} on 127.0.0.1 is in use; pass --web-port N or set WEB_PORT`,
        );
        expect(r.stdout).not.toContain("Ctrl+C to stop");
        expect(existsSync(path.join(root, ".specsync"))).toBe(false);
      } finally {
        taken.close();
      }
    });

    describe("`specsync` in a repository", () => {
      let started: Launched;
      let port: number;
      let webPort: number;
      let browser: Browser | undefined;

      beforeAll(async () => {
        [port, webPort] = [await freePort(), await freePort()];
        const t = Date.now();
        started = launch(bin, ["--port", String(port), "--web-port", String(webPort)], {
          cwd: root,
          env: userEnv(),
        });
        await until(
          "specsync prints its URLs",
          started,
          async () => started.output().includes("Ctrl+C to stop"),
          200_000,
        );
        timings.coldStart = Date.now() - t;
      }, 240_000);

      afterAll(async () => {
        await browser?.close();
        await started?.stop();
      });

      it("starts API + UI on that repository with the embedded database in <repo>/.specsync/, and prints the URLs", async () => {
        const out = started.output();
        expect(out).toContain(`http://127.0.0.1:${webPort}`);
        expect(out).toContain(`http://127.0.0.1:${port}/trpc`);
        // Nobody at a terminal to ask: a hint, and .gitignore left alone.
        expect(out).toMatch(/add "\.specsync\/" to \.gitignore.*--gitignore/);
        expect(existsSync(path.join(root, ".gitignore"))).toBe(false);
        expect(existsSync(path.join(root, ".specsync", "pglite"))).toBe(true);

        const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
          db: { driver: string };
          projects: { rootPath: string }[];
        };
        expect(health.db.driver).toBe("pglite");
        expect(health.projects.map((p) => p.rootPath)).toEqual([realpathSync(root)]);
      });

      it("the UI lists the repository's changes in Chromium", async () => {
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
          ],
        });
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${webPort}/`);
        await page.waitForSelector('[data-testid="change-row"]', { timeout: 30_000 });
        const names = await page
          .locator('[data-testid="change-row"]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")).sort());
        expect(names).toEqual(["add-search", "fix-login"]);
      });

      it("the server runs under --optimize-for-size; a SIGTERM to the bin alone stops it gracefully", async () => {
        const server = JSON.parse(
          readFileSync(path.join(root, ".specsync", "server.json"), "utf8"),
        ) as { pid: number };
        expect(server.pid).not.toBe(started.child.pid); // the bin relaunched itself with the flag
        expect(readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0")).toContain(
          "--optimize-for-size",
        );
        started.child.kill("SIGTERM");
        expect(await started.exited).toBe(0);
        expect(started.output().match(/SIGTERM received/g)).toHaveLength(1);
        expect(existsSync(path.join(root, ".specsync", "server.json"))).toBe(false);
      });

      it("after Ctrl+C, `specsync list --json` answers from the files (no server left), as the OpenSpec CLI does", async () => {
        await started.stop();
        const listed = JSON.parse(run(bin, ["list", "--json"], root)) as {
          changes: { name: string; completedTasks: number; totalTasks: number }[];
        };
        const oracle = await openspecJson<{
          changes: { name: string; completedTasks: number; totalTasks: number }[];
        }>(root, ["list", "--json"]);
        const summary = (l: typeof listed) =>
          l.changes.map((c) => [c.name, c.completedTasks, c.totalTasks]);
        expect(summary(listed)).toEqual(summary(oracle));
        expect(summary(listed).length).toBe(2);
      });

      it("runs new, validate and archive --preview with the OpenSpec CLI it bundles", () => {
        // Before: the package shipped without @fission-ai/openspec, so each of these answered
        // "the OpenSpec CLI (@fission-ai/openspec) is not installed" (exit 1) once installed.
        const cli = (args: string[]) =>
          spawnSync(bin, args, { cwd: root, env: userEnv(), encoding: "utf8" });
        const created = cli(["new", "bundled-cli-check", "--goal", "Check the CLI", "--json"]);
        expect(created.stderr).toBe("");
        expect(created.status).toBe(0);
        expect(JSON.parse(created.stdout)).toMatchObject({ name: "bundled-cli-check" });
        expect(existsSync(path.join(root, "openspec/changes/bundled-cli-check"))).toBe(true);
        const validated = cli(["validate", "add-search", "--json"]);
        expect(validated.stderr).not.toMatch(/not installed/);
        expect([0, 2]).toContain(validated.status);
        expect(JSON.parse(validated.stdout)).toHaveProperty("valid");
        const preview = cli(["archive", "add-search", "--preview", "--json"]);
        expect(preview.stderr).toBe("");
        expect(preview.status).toBe(0);
        expect(JSON.parse(preview.stdout)).toMatchObject({ change: "add-search" });
      });
    });
  },
);
