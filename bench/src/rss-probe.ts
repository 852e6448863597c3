/**
 * Probe: the bench's server-RSS row (`serverRss`: `serve` as `pnpm start` runs the built bin, or
 * with `sources` as the root `specsync` script runs it through tsx; `VmHWM` after /healthz and 20
 * list calls) on an existing PGlite data directory, without re-importing.
 * `node --import tsx bench/src/rss-probe.ts <dir> [runs] [start|sources]`: `<dir>` as
 * `noop-probe.ts pglite <dir> 0` leaves it (`ws/`, `pglite/`); each run copies `pglite/` afresh
 * (the startup sync writes to it).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { serverRss } from "./measure";

const [dir = "/tmp/rss-probe", runsArg = "3", viaArg = "start"] = process.argv.slice(2);
if (viaArg !== "start" && viaArg !== "sources") throw new Error("via: start or sources");
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
for (let i = 0; i < Number(runsArg); i++) {
  const copy = mkdtempSync(path.join(dir, "copy-"));
  try {
    cpSync(path.join(dir, "pglite"), copy, { recursive: true });
    const rss = await serverRss(path.join(dir, "ws"), { SPECSYNC_DATA_DIR: copy }, viaArg);
    console.log(
      `${viaArg}: peak ${rss.peakMb.toFixed(1)} MB, now ${rss.rssMb.toFixed(1)} MB, load ${load()}`,
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
