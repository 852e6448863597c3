// A large PostgreSQL import lifts --optimize-for-size while it runs: under the flag V8 keeps each
// thread's old generation limit close to its size, and the import's parse workers spent a quarter
// of their CPU in the many full collections that follow (docs/performance.md, session 27). The
// flag is process-wide, so the check runs in a child process started with it, as the server is:
// a thread that builds up live data runs few full collections only while an import holds the
// lift, and the flag is back once the last of two overlapping imports ends.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const src = path.resolve(import.meta.dirname, "../src/services");
const script = `
import { Worker } from "node:worker_threads";
import { ParsePool } from ${JSON.stringify(`${src}/parse-pool.ts`)};
import { importPools } from ${JSON.stringify(`${src}/sync/import-pools.ts`)};
// A thread that keeps 1.5 million small objects, then says how many full collections it ran. (An
// ES module: the child's --input-type reaches its eval'd workers.)
const build = \`
  import { parentPort } from "node:worker_threads";
  import { PerformanceObserver, constants } from "node:perf_hooks";
  let major = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
  });
  obs.observe({ entryTypes: ["gc"] });
  const keep = [];
  for (let r = 0; r < 30; r++) {
    const arr = [];
    for (let i = 0; i < 50000; i++) arr.push({ a: i, b: "x" + i });
    keep.push(arr);
  }
  setTimeout(() => { obs.disconnect(); parentPort.postMessage(major); }, 50);\`;
const fullGcs = () => new Promise((resolve) => {
  const w = new Worker(build, { eval: true });
  w.once("message", (n) => { resolve(n); void w.terminate(); });
});
const shared = new ParsePool({ size: 1 });
const out = { before: await fullGcs() };
const a = importPools(shared, true);
out.during = await fullGcs();
const b = importPools(shared, true);
await a.close();
out.oneOfTwoClosed = await fullGcs();
await b.close();
out.after = await fullGcs();
const small = importPools(shared, false);
out.noSecondWorker = await fullGcs();
await small.close();
await shared.close();
console.log(JSON.stringify(out));
`;

describe.skipIf(availableParallelism() < 2)("a large import under --optimize-for-size", () => {
  it("lifts the flag while an import's second worker lives, and puts it back after the last", () => {
    const run = spawnSync(
      process.execPath,
      ["--optimize-for-size", "--import", "tsx", "--input-type=module", "-e", script],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(run.stderr).not.toContain("Error");
    expect(run.status).toBe(0);
    // Measured: 14 full collections under the flag, 2 without it.
    const gcs = JSON.parse(run.stdout) as Record<string, number>;
    expect(gcs.before).toBeGreaterThanOrEqual(8);
    expect(gcs.during).toBeLessThanOrEqual(5);
    expect(gcs.oneOfTwoClosed).toBeLessThanOrEqual(5);
    expect(gcs.after).toBeGreaterThanOrEqual(8);
    expect(gcs.noSecondWorker).toBeGreaterThanOrEqual(8);
  }, 90_000);
});
