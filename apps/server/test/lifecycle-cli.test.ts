import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  changeFiles,
  cleanupTempRepos,
  MAIN_SPEC,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli, ONE_SHOT_FLAGS, removeBundle } from "../testing/bundle";

const SERVER = path.resolve(fileURLToPath(import.meta.url), "../..");
// The CLI bundled once to plain JavaScript: each command loads in a fraction of the CPU
// `node --import tsx` spent compiling the sources.
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
}, 60_000);
afterAll(() => removeBundle(CLI));

afterAll(cleanupTempRepos);

/** The real `specsync` command, as a person types it (an embedded throwaway database each run). */
function specsync(
  args: string[],
  root: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Run from apps/server, pointed at the repository with --project.
    execFile(
      process.execPath,
      [...ONE_SHOT_FLAGS, CLI, ...args, "--project", root],
      {
        cwd: SERVER,
        env: { ...process.env, SPECSYNC_DATA_DIR: "memory://", SPECSYNC_LOG: "silent" },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const LOUD_DELTA =
  "## MODIFIED Requirements\n### Requirement: Demo behaviour\nThe system SHALL demo loudly.\n\n#### Scenario: Demo works\n- **WHEN** a user demos\n- **THEN** it works, loudly\n";

describe("specsync new | validate | archive (the real command)", () => {
  it("creates, validates, previews and archives through the OpenSpec CLI, with clear messages for bad input", async () => {
    const root = tempRepo();
    writeTree(root, {
      "specs/demo/spec.md": MAIN_SPEC,
      ...changeFiles("add-loud"),
      "changes/add-loud/specs/demo/spec.md": LOUD_DELTA,
      ...changeFiles("add-broken"),
      "changes/add-broken/specs/demo/spec.md":
        "## ADDED Requirements\n### Requirement: Broken\nThe system SHALL break.\n",
      ...changeFiles("add-soft"),
      "changes/add-soft/specs/demo/spec.md":
        "## ADDED Requirements\n### Requirement: Soft\nThe system is soft.\n\n#### Scenario: S\n- **WHEN** a\n- **THEN** b\n",
    });
    const bad = await specsync(["new", "Bad_Name"], root);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^specsync: name: use kebab-case/);
    expect(existsSync(path.join(root, "openspec/changes/Bad_Name"))).toBe(false);

    const created = await specsync(["new", "add-thing", "--goal", "Ship it", "--json"], root);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: "add-thing",
      path: "changes/add-thing",
    });
    expect(
      readFileSync(path.join(root, "openspec/changes/add-thing/.openspec.yaml"), "utf8"),
    ).toContain("goal: Ship it");

    const invalid = await specsync(["validate", "add-broken"], root);
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toMatch(
      /ERROR specs\/demo\/spec\.md:2 ADDED "Broken" must include at least one scenario/,
    );

    expect(invalid.stdout).toMatch(/^add-broken is not valid: 1 error, 0 warnings \(strict\)\n/);
    // Warnings alone fail the strict check: the headline says so, not "has 0 errors".
    const soft = await specsync(["validate", "add-soft"], root);
    expect(soft.code).toBe(2);
    expect(soft.stdout).toMatch(
      /^add-soft is not valid: 0 errors, 1 warning \(strict\)\n {2}WARNING/,
    );

    const preview = await specsync(["archive", "add-loud", "--preview"], root);
    expect(preview.stdout).toContain("specs/demo/spec.md\n  MODIFIED Demo behaviour");
    expect(readFileSync(path.join(root, "openspec/specs/demo/spec.md"), "utf8")).toBe(MAIN_SPEC);

    const archived = await specsync(["archive", "add-loud"], root);
    expect(archived.code, archived.stderr).toBe(0);
    expect(archived.stdout).toMatch(
      /add-loud: archived as changes\/archive\/\d{4}-\d{2}-\d{2}-add-loud \(0 added, 1 modified/,
    );
    expect(readFileSync(path.join(root, "openspec/specs/demo/spec.md"), "utf8")).toContain(
      "demo loudly",
    );

    const again = await specsync(["archive", "add-loud"], root);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no active change named add-loud|add-loud is already archived/);
    const failed = await specsync(["archive", "add-broken"], root);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Validation failed for change 'add-broken'/);
    expect(readdirSync(path.join(root, "openspec/changes/archive"))).toHaveLength(1);
  }, 300_000); // seven cold starts of the command, each with its own embedded database
});
