import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import {
  changeFiles,
  cleanupTempRepos,
  freePort,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, WEB } from "./built";
import { type Launched, launch, until } from "./process-group";

/** Running (a zombie waiting for a reaper counts as gone). */
const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
  } catch {
    return false;
  }
};

/** [pid, ppid] of the web UI's process under `root` (Next.js renames it `next-server`). */
function webProcess(root: number): [number, number] | null {
  const ps = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" });
  const rows = ps
    .trim()
    .split("\n")
    .map((line) => {
      const [pid, ppid, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), args: args.join(" ") };
    });
  const ours = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) if (ours.has(r.ppid) && !ours.has(r.pid)) grew = Boolean(ours.add(r.pid));
  }
  const web = rows.find(
    (r) => ours.has(r.pid) && (r.args.startsWith("next-server") || r.args.includes(WEB)),
  );
  return web ? [web.pid, web.ppid] : null;
}

// A server killed outright (SIGKILL: no handler runs) left its web UI running and holding
// WEB_PORT (outside test F7). The web UI watches its parent and follows it out.
describe.skipIf(!existsSync(WEB))("the web UI never outlives its server", () => {
  let started: Launched | undefined;
  let web: [number, number] | null = null;
  afterAll(async () => {
    if (web && alive(web[0])) process.kill(web[0], "SIGKILL");
    await started?.stop();
    cleanupTempRepos();
  });

  it("SIGKILL of the server process: the web process exits within a few seconds", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-search"));
    const [port, webPort] = [await freePort(), await freePort()];
    const env = { ...process.env, SPECSYNC_DATA_DIR: "memory://", NEXT_TELEMETRY_DISABLED: "1" };
    const args = [BIN, "start", "--port", String(port), "--web-port", String(webPort)];
    started = launch(process.execPath, [...args, "--no-gitignore"], { cwd: root, env });
    const s = started;
    await until(
      "web UI answers",
      s,
      async () => (await fetch(`http://127.0.0.1:${webPort}/`)).status < 500,
      180_000,
    );
    web = webProcess(s.child.pid ?? 0);
    expect(web).not.toBeNull();
    const [webPid, serverPid] = web ?? [0, 0];
    process.kill(serverPid, "SIGKILL");
    const deadline = Date.now() + 5000;
    while (alive(webPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(webPid)).toBe(false);
  }, 240_000);
});
