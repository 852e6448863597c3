import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

export type Launched = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
};

/**
 * Run a real command in its own process group (pnpm → turbo → node → the web server all land in
 * it), keep the tail of its output for failure messages, and stop the whole group at the end.
 */
export function launch(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Launched {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    group("SIGTERM");
    const timer = setTimeout(() => group("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
    // Stragglers in the group (a web server whose parent died first) go too.
    group("SIGKILL");
  };
  return { child, output: () => out, exited, stop };
}

/**
 * Poll `fn` until it returns a truthy value; fail early if the process exits (a bare child works
 * too: its exit code or signal says it is gone).
 */
export async function until<T>(
  what: string,
  launched: Pick<Launched, "child" | "output">,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const { child } = launched;
  for (;;) {
    // Read before trying: an exit seen here still lets one last try succeed.
    const exited = child.exitCode !== null || child.signalCode !== null;
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not up yet
    }
    if (exited)
      throw new Error(
        `${what}: the process exited (code ${child.exitCode}):\n${launched.output()}`,
      );
    if (Date.now() > deadline)
      throw new Error(`${what}: timed out after ${timeoutMs} ms:\n${launched.output()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
