/**
 * Probe: the CLI's validator on delta specs whose header lines end in a blank run, before
 * (the CLI's Validator reading the files as they are) and after (`runValidateJob`, which
 * shortens those runs first), interleaved, with CPU time.
 * `node --import tsx bench/src/validate-probe.ts [pairs] [chars]`
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { locateOpenSpecCli, runValidateJob } from "@specsync/api";

const [pairsArg = "3", charsArg = "20000"] = process.argv.slice(2);
const cli = locateOpenSpecCli();
const validatorUrl = pathToFileURL(
  path.join(cli.packageDir, "dist/core/validation/validator.js"),
).href;
const { Validator } = await import(validatorUrl);

function workspace(chars: number) {
  const root = mkdtempSync("/tmp/validate-probe-");
  const change = path.join(root, "openspec/changes/adv");
  mkdirSync(path.join(change, "specs/a"), { recursive: true });
  writeFileSync(
    path.join(change, "proposal.md"),
    "# Change: x\n\n## Why\nw\n\n## What Changes\n- x\n",
  );
  writeFileSync(
    path.join(change, "specs/a/spec.md"),
    `## ADDED Requirements\n### Requirement: a${" ".repeat(chars)}\nThe system SHALL a.\n`,
  );
  return { root, change, specs: path.join(root, "openspec/specs") };
}

async function timed(work: () => Promise<unknown>) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await work();
  const c = process.cpuUsage(cpu);
  return { wallMs: performance.now() - t, cpuMs: (c.user + c.system) / 1000 };
}

const chars = Number(charsArg);
const w = workspace(chars);
const opts = { mainSpecsDir: w.specs, projectRoot: w.root };
const job = { op: "validate" as const, cli, changeDir: w.change, ...opts };
const rows: string[] = [];
for (let i = 0; i < Number(pairsArg); i++) {
  const before =
    chars <= 100_000
      ? await timed(() => new Validator(true).validateChangeDeltaSpecs(w.change, opts))
      : null;
  const after = await timed(() => runValidateJob(job));
  const f = (r: { wallMs: number; cpuMs: number } | null) =>
    r ? `${Math.round(r.wallMs)} ms wall / ${Math.round(r.cpuMs)} ms CPU` : "(not run)";
  rows.push(`pair ${i + 1}: before ${f(before)}; after ${f(after)}`);
}
rmSync(w.root, { recursive: true, force: true });
console.log(`### Requirement: a + ${chars} spaces\n${rows.join("\n")}`);
