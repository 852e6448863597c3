import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ABSOLUTE_FORM, childEnv } from "@specsync/settings";
import { StartupAborted } from "./shutdown";

/** A fetch's signal: aborted after `ms`, or with `signal`. */
const aborts = (signal: AbortSignal | undefined, ms: number) =>
  signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);

/** Wait `ms`, or less if `signal` aborts. */
const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * The web UI's self-contained Next.js server (`output: "standalone"`), as the build lays it out:
 * `<package>/web/server.js` next to the bundled CLI (`<package>/lib/`), or `apps/server/dist/web/`
 * when running the TypeScript sources after a build.
 */
export function findWebServer(): string | null {
  for (const rel of ["../web/server.js", "../dist/web/server.js"]) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Loaded into the web UI's process before Next.js: it exits when its stdin, a pipe from this
 * process, reaches end of file — which the OS delivers when this process ends in any way, SIGKILL
 * included, so the web UI never outlives the server and keeps its port. It also stamps every
 * request with the socket's address (`x-specsync-client-address`, replacing any the client sent),
 * the key of the sign-in rate limit (apps/web/lib/sign-in-limit.ts): Next only fills
 * X-Forwarded-For when the client did not, so that header is the client's to choose. An
 * absolute-form target (`GET http://evil.example/ HTTP/1.1`) is made origin-form, its authority
 * becoming the Host (RFC 9112: it wins over Host), so the proxy's Host check judges that name.
 */
const WATCH_PARENT = `data:text/javascript,${encodeURIComponent(
  "const bye=()=>process.exit(0);process.stdin.on('end',bye);process.stdin.on('error',bye);" +
    "process.stdin.resume();" +
    "import('node:diagnostics_channel').then((dc)=>dc.subscribe('http.server.request.start'," +
    "({request,socket})=>{request.headers['x-specsync-client-address']=" +
    "String(socket.remoteAddress??'');" +
    `const m=${ABSOLUTE_FORM}.exec(request.url??'');if(m){request.headers.host=m[1];` +
    "const r=request.url.slice(m[0].length);request.url=r.startsWith('/')?r:'/'+r}}));",
)}`;

export type WebProcess = { url: string; stop: () => Promise<void>; exited: Promise<number | null> };

/** Start the web UI on host:port, pointed at the API at apiUrl; resolves once it answers HTTP. */
export async function startWebServer(opts: {
  serverJs: string;
  host: string;
  port: number;
  apiUrl: string;
  timeoutMs?: number;
  /** Aborted (a shutdown during startup): the process is stopped and the start rejects. */
  signal?: AbortSignal;
}): Promise<WebProcess> {
  if (opts.signal?.aborted) throw new StartupAborted();
  const child: ChildProcess = spawn(process.execPath, ["--import", WATCH_PARENT, opts.serverJs], {
    env: childEnv({
      PORT: String(opts.port),
      HOSTNAME: opts.host,
      // Its Host check accepts the bound address too, as the API's does.
      HOST: opts.host,
      SPECSYNC_API_URL: opts.apiUrl,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
    }),
    // stdin is the parent watch's pipe (see WATCH_PARENT).
    stdio: ["pipe", "ignore", "pipe"],
    // Its own process group: stopping it stops anything it spawned too (and a terminal's Ctrl+C
    // reaches only us, so the shutdown order stays ours).
    detached: process.platform !== "win32",
  });
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (process.platform !== "win32" && child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  // Never leave the web server behind when this process ends (an error, process.exit, a shutdown
  // that timed out): by then it is too late to wait for it.
  const reap = () => kill("SIGKILL");
  process.once("exit", reap);
  void exited.then(() => process.off("exit", reap));
  const host =
    opts.host === "0.0.0.0" || opts.host === "::"
      ? "127.0.0.1"
      : opts.host.includes(":")
        ? `[${opts.host}]`
        : opts.host;
  const url = `http://${host}:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    kill("SIGKILL"); // stragglers of its group
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (opts.signal?.aborted) {
      await stop();
      throw new StartupAborted();
    }
    if (gone)
      throw new Error(
        `the web UI did not start (port ${opts.port}): ${stderr.trim().split("\n").slice(-3).join(" ") || "it exited"}`,
      );
    try {
      const res = await fetch(`${url}/`, { signal: aborts(opts.signal, 2000) });
      await res.arrayBuffer();
      if (res.status < 500 && !gone) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the web UI did not answer on ${url} within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s`,
      );
    }
    await pause(100, opts.signal);
  }
  return { url, stop, exited };
}
