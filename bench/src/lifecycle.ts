import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Services } from "@specsync/api";
import { openspecCli, timeMany } from "./measure";
import { must } from "./must";

const req = (name: string, verb: string) =>
  `### Requirement: ${name}\nThe system SHALL ${verb} ${name.toLowerCase()}.\n\n#### Scenario: ${name} works\n- **WHEN** someone uses ${name.toLowerCase()}\n- **THEN** it ${verb}s\n`;

/**
 * A repository whose one change has a delta spec with 20 requirements (10 MODIFIED against a main
 * spec of 30, 10 ADDED): the size the preview target is stated for.
 */
export function lifecycleWorkspace(scratch: string): { root: string; change: string } {
  const root = mkdtempSync(path.join(scratch, "lifecycle-"));
  const os = path.join(root, "openspec");
  const names = Array.from({ length: 30 }, (_, i) => `Capability rule ${i + 1}`);
  const write = (rel: string, content: string) => {
    mkdirSync(path.dirname(path.join(os, rel)), { recursive: true });
    writeFileSync(path.join(os, rel), content);
  };
  write("config.yaml", "schema: spec-driven\n");
  mkdirSync(path.join(os, "changes/archive"), { recursive: true });
  write(
    "specs/bench/spec.md",
    `# bench Specification\n\n## Purpose\nA main spec the benchmark change modifies.\n\n## Requirements\n${names.map((n) => req(n, "work")).join("\n")}`,
  );
  const change = "bench-twenty-requirements";
  write(
    `changes/${change}/proposal.md`,
    "# Change: Twenty requirements\n\n## Why\nThe benchmark needs a change of realistic size.\n\n## What Changes\n- Ten modified, ten added requirements\n",
  );
  write(`changes/${change}/tasks.md`, "## 1. Work\n- [ ] 1.1 Do it\n");
  write(
    `changes/${change}/specs/bench/spec.md`,
    `## MODIFIED Requirements\n${names
      .slice(0, 10)
      .map((n) => req(n, "keep working"))
      .join(
        "\n",
      )}\n## ADDED Requirements\n${Array.from({ length: 10 }, (_, i) => req(`New rule ${i + 1}`, "run")).join("\n")}`,
  );
  return { root, change };
}

/**
 * validate one change (the CLI's own cost, through the service) vs `openspec validate` directly;
 * the archive preview.
 */
export async function lifecycleRows(
  services: Services,
  scratch: string,
  samples: number,
  cliRuns = Math.min(samples, 15),
) {
  const { root, change } = lifecycleWorkspace(scratch);
  const project = await services.sync.ensureProject(root);
  await services.sync.syncProject(project, "startup");
  const { items } = await services.specs.list({
    projectId: project.id,
    kind: "change",
    search: change,
  });
  const id = must(
    items.find((i) => i.name === change),
    `change ${change}`,
  ).id;
  const n = Math.min(samples, 15);
  const validate = await timeMany(n, () => services.lifecycle.validate({ id, actor: "bench" }), 2);
  const direct = await openspecCli(root, ["validate", change, "--strict"], cliRuns);
  const preview = await timeMany(Math.max(samples, 20), () => services.lifecycle.preview(id), 5);
  const p = await services.lifecycle.preview(id);
  const requirements = p.specs.reduce((s, x) => s + x.requirements.length, 0);
  return { validate, direct, preview, requirements };
}
