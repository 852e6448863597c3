// A change can make the validator report tens of thousands of findings (two per requirement
// without SHALL and scenario). Posting, placing, storing and answering them all held the event loop
// for seconds (on PGlite the database runs on it too). Now the worker keeps the first findings of
// each level, the counts stay exact and the answer says how many more there are.
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices, FINDINGS_KEPT_PER_LEVEL } from "../src";
import { describeEachDb } from "../testing/each-db";
import { cleanupTempRepos, MAIN_SPEC, PROPOSAL, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const REQUIREMENTS = 6000;
/** Each requirement: a WARNING (no SHALL or MUST) and an ERROR (no scenario). */
const manyFindings = () =>
  `## ADDED Requirements\n${Array.from(
    { length: REQUIREMENTS },
    (_, i) => `### Requirement: Thing ${i}\nIt does thing ${i}.\n`,
  ).join("\n")}`;

describeEachDb("validation with more findings than are kept", (db) => {
  it("exact counts, the first findings of each level at their lines, 'N more not shown'; the event loop keeps ticking", async () => {
    const root = tempRepo();
    writeTree(root, {
      "specs/demo/spec.md": MAIN_SPEC,
      "changes/add-many/proposal.md": PROPOSAL("add-many"),
      "changes/add-many/specs/many/spec.md": manyFindings(),
    });
    const services = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const { items } = await services.specs.list({ projectId: project.id, kind: "change" });
    const id = items.find((i) => i.name === "add-many")?.id ?? "";
    // The first validation loads the CLI in the worker: not what is measured.
    await services.lifecycle.validate({ id }, { record: false });

    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 10);
    const result = await services.lifecycle.validate({ id });
    clearInterval(tick);

    const kept = FINDINGS_KEPT_PER_LEVEL;
    expect([result.valid, result.errors, result.warnings]).toEqual([
      false,
      REQUIREMENTS,
      REQUIREMENTS,
    ]);
    expect(result.findings).toHaveLength(2 * kept);
    expect(result.notShown).toBe(2 * REQUIREMENTS - 2 * kept);
    const levels = (l: string) => result.findings.filter((f) => f.level === l);
    expect([levels("ERROR").length, levels("WARNING").length]).toEqual([kept, kept]);
    // The first ones, in the validator's order, at their requirement's header line.
    const last1 = levels("ERROR").at(-1);
    expect(last1?.message).toBe(`ADDED "Thing ${kept - 1}" must include at least one scenario`);
    expect(last1?.line).toBe(2 + 3 * (kept - 1));
    // Stored as answered.
    const row = await services.specs.get(id);
    expect(row.validation).toEqual(result);
    // The history line has the exact counts.
    const history = (await services.history.list({ specId: id, limit: 5 })).items;
    expect(history[0]?.note).toBe(
      `openspec validate --strict: ${REQUIREMENTS} errors, ${REQUIREMENTS} warnings`,
    );
    // Before: every finding placed and stored on this thread, a second or more at a time.
    expect(worst).toBeLessThan(500);
  }, 120_000);
});
