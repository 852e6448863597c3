import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const BENCH = path.resolve(fileURLToPath(import.meta.url), "../..");

// The harness must not rot: a tiny run, no targets, every measurement present.
it("pnpm bench --quick runs end to end and writes its results", async () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "bench-smoke-")), "r.json");
  await run(
    process.execPath,
    ["--import", "tsx", "src/run.ts", "--quick", "--driver", "pglite", "--out", out],
    { cwd: BENCH, maxBuffer: 16 * 1024 * 1024, timeout: 170_000 },
  );
  const result = JSON.parse(readFileSync(out, "utf8")) as {
    rows: { metric: string; value: number }[];
  };
  const metrics = result.rows.map((r) => r.metric).join("\n");
  for (const m of [
    "cold import",
    "no-op reconcile",
    "scheduled batch",
    "archived edit → DB row, scheduler period 1 s",
    "save → DB row committed p50",
    "specs.list over HTTP",
    "specs.update → bytes on disk",
    "`openspec list --json`",
    "`openspec show <id> --json`",
    "server peak RSS, 30 changes watched (pnpm start's server: the built bin)",
    "parse 1 MiB adversarial",
    "changes.validate, one change p50",
    "archive preview, 20 requirements p50",
    "next_work with claim",
    "overlaps(change)",
  ]) {
    expect(metrics).toContain(m);
  }
  expect(result.rows.every((r) => Number.isFinite(r.value) && r.value > 0)).toBe(true);
}, 180_000);
