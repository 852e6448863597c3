import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import {
  changeFiles,
  cleanupTempRepos,
  freePort,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, WEB } from "./built";
import { until } from "./process-group";

/** Live (not zombie) processes whose environment carries `MARK=<id>`: the whole tree we started. */
function treeOf(id: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (!readFileSync(`/proc/${p}/environ`, "utf8").includes(`SPECSYNC_TEST_TREE=${id}\0`))
        continue;
      if (readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) continue;
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").replaceAll("\0", " ");
      found.push({ pid: Number(p), cmd });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    async (r) => (await r.arrayBuffer(), r.status < 500),
    () => false,
  );

type Moment = "right after spawn" | "while the web UI starts" | "API answers" | "ready";

const started: ChildProcess[] = [];
const marks: string[] = [];

// A SIGINT/SIGTERM during `specsync start`'s startup used to end it by the default action: the web
// UI it had spawned (its own process group) lived on for a while holding WEB_PORT, and the data dir
// lock stayed. Now the process exits 0 only after its whole tree is gone.
describe.skipIf(!existsSync(WEB))("a signal at any moment of the startup", () => {
  afterAll(() => {
    for (const id of marks) for (const { pid } of treeOf(id)) process.kill(pid, "SIGKILL");
    for (const c of started) if (c.exitCode === null) c.kill("SIGKILL");
    cleanupTempRepos();
  });

  // The last: a shutdown bound (SPECSYNC_SHUTDOWN_TIMEOUT_MS) shorter than the database's opening
  // it waits for: the rest is killed outright and the exit code is 1.
  const cases: [Moment, NodeJS.Signals, number | "default"][] = [
    ["right after spawn", "SIGTERM", "default"],
    ["while the web UI starts", "SIGINT", "default"],
    ["while the web UI starts", "SIGTERM", "default"],
    ["API answers", "SIGTERM", "default"],
    ["ready", "SIGINT", "default"],
    ["while the web UI starts", "SIGTERM", 100],
    // `specsync start` is a launcher that re-runs itself with V8 flags; killing it with SIGKILL
    // used to leave the real server and the web UI running, orphaned, holding both ports.
    ["ready", "SIGKILL", "default"],
  ];
  it.each(cases)(
    "%s, %s (shutdown bound: %s): tree gone, ports and lock freed",
    async (moment, sig, bound) => {
      const root = tempRepo();
      writeTree(root, changeFiles("add-search"));
      const [port, webPort] = [await freePort(), await freePort()];
      const id = randomUUID();
      marks.push(id);
      const out: string[] = [];
      const child = spawn(
        process.execPath,
        [BIN, "start", "--port", String(port), "--web-port", String(webPort), "--no-gitignore"],
        {
          cwd: root,
          env: {
            ...process.env,
            SPECSYNC_TEST_TREE: id,
            NEXT_TELEMETRY_DISABLED: "1",
            SPECSYNC_SHUTDOWN_TIMEOUT_MS: bound === "default" ? undefined : String(bound),
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      started.push(child);
      child.stdout?.on("data", (d: Buffer) => out.push(d.toString()));
      child.stderr?.on("data", (d: Buffer) => out.push(d.toString()));
      const exited = new Promise<[number | null, string | null]>((r) =>
        child.on("exit", (code, signal) => r([code, signal])),
      );
      const api = `http://127.0.0.1:${port}/healthz`;
      const web = `http://127.0.0.1:${webPort}/`;
      // Polled often: "while the web UI starts" is a window of a second or two.
      const proc = { child, output: () => out.join("") };
      const wait = (ok: () => boolean | Promise<boolean>) => until(moment, proc, ok, 120_000, 20);
      if (moment === "right after spawn") await new Promise((r) => setTimeout(r, 50));
      if (moment === "while the web UI starts")
        await wait(() => treeOf(id).some((p) => p.cmd.includes(WEB)));
      if (moment === "API answers") await wait(() => answers(api));
      if (moment === "ready") {
        await wait(() => out.join("").includes("Ctrl+C to stop"));
        expect(await answers(web)).toBe(true);
      }
      const lock = path.join(root, ".specsync", "pglite.lock");
      if (sig === "SIGKILL") {
        // The launcher killed outright relays nothing: the server notices its IPC channel close.
        child.kill(sig);
        await exited;
        const deadline = Date.now() + 30_000;
        while (treeOf(id).length > 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        const free = [await portFree(port), await portFree(webPort)];
        const state = { left: treeOf(id), free, lock: existsSync(lock) };
        expect(state, out.join("")).toEqual({ left: [], free: [true, true], lock: false });
        return;
      }
      child.kill(sig);
      const [code, signal] = await exited;
      // Checked at once: "exited" means the whole tree is gone, not that it will be soon.
      const left = treeOf(id);
      const free = [await portFree(port), await portFree(webPort)];
      // Before its handlers exist (the first ~100 ms, nothing started yet) the signal's default
      // action ends it: killed by that signal, as conventional. After: a graceful stop, exit 0.
      const early = moment === "right after spawn" && signal === sig;
      expect({ code, signal, left, free, lock: existsSync(lock) }, out.join("")).toEqual({
        code: early ? null : bound === "default" ? 0 : 1,
        signal: early ? sig : null,
        left: [],
        free: [true, true],
        lock: false,
      });
    },
  );
});
