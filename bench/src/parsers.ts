/**
 * Parser row of `pnpm bench`: every adversarial 1 MiB file (long whitespace runs that made the
 * CLI's regexes backtrack quadratically) through the whole derivation (`deriveFields`: tasks,
 * proposal, delta specs, `show` JSON). Target: ≤ 50 ms each. Runnable alone:
 *
 *   pnpm -F @specsync/bench bench:parsers [--check]
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { deriveFields } from "@specsync/api";
import { adversarialCases } from "@specsync/api/testing";
import { must } from "./must";

export type ParserRow = {
  driver: string;
  metric: string;
  value: number;
  unit: string;
  target: { op: "<="; value: number };
};

/** Median of a few runs per input (the first warms the JIT). */
export function parserRows(runs = 5): ParserRow[] {
  return adversarialCases().map((c) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      deriveFields(c.kind, "adv", c.files);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return {
      driver: "-",
      metric: `parse 1 MiB adversarial: ${c.name}`,
      value: must(times[Math.floor(times.length / 2)], "a sample"),
      unit: "ms",
      target: { op: "<=", value: 50 },
    };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  const rows = parserRows();
  const width = Math.max(...rows.map((r) => r.metric.length));
  for (const r of rows)
    console.log(
      `${r.metric.padEnd(width)} ${r.value.toFixed(1).padStart(8)} ms  <= ${r.target.value}  ${r.value <= r.target.value ? "PASS" : "FAIL"}`,
    );
  if (values.check && rows.some((r) => r.value > r.target.value)) process.exit(1);
}
