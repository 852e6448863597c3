/**
 * Parse-pool row of `pnpm bench`: the event loop's worst delay while every adversarial 1 MiB folder is
 * derived (`deriveFieldsOffThread`, what a sync does) and three of them get their page structure (tasks,
 * requirements: what `specs.get` does) — all on the worker pool.
 * Target: ≤ 10 ms (issue #11: parsing never holds the event loop more than a few ms). Runnable alone:
 *
 *   pnpm -F @specsync/bench bench:parse-pool [--check]
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { deriveFieldsOffThread, ParsePool, parseOffThread, runParseJob } from "@specsync/api";
import { adversarialCases } from "@specsync/api/testing";
import type { ParserRow } from "./parsers";

export async function parsePoolRows(): Promise<ParserRow[]> {
  const pool = new ParsePool();
  try {
    await pool.warm(); // the server starts its workers at start-up
    // ... and has long compiled the small-file path, which stays inline.
    runParseJob({ op: "page", tasks: "- [ ] a\n", requirements: "## Requirements\n" });
    const cases = adversarialCases();
    const pages = [
      "task box opened, then spaces",
      "requirement header, spaces, U+2028",
      "heading, spaces, U+2028 at the end",
    ];
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t = performance.now();
    await Promise.all(cases.map((c) => deriveFieldsOffThread(c.kind, "adv", c.files, pool)));
    for (const c of cases.filter((c) => pages.includes(c.name))) {
      const page = {
        op: "page" as const,
        tasks: c.files["tasks.md"] ?? "",
        requirements: c.files["spec.md"],
      };
      await parseOffThread(page, pool);
    }
    const wall = performance.now() - t;
    h.disable();
    return [
      {
        driver: "-",
        metric: `event-loop max delay while parsing 1 MiB adversarial files (${cases.length} derived, ${pages.length} pages, ${(wall / 1000).toFixed(1)} s on the pool)`,
        value: h.max / 1e6,
        unit: "ms",
        target: { op: "<=", value: 10 },
      },
    ];
  } finally {
    await pool.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  const rows = await parsePoolRows();
  for (const r of rows)
    console.log(
      `${r.metric} ${r.value.toFixed(1).padStart(8)} ms  <= ${r.target.value}  ${r.value <= r.target.value ? "PASS" : "FAIL"}`,
    );
  if (values.check && rows.some((r) => r.value > r.target.value)) process.exit(1);
}
