import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { statusMismatch } from "@specsync/validators";
import { afterAll, expect, it } from "vitest";
import { type Context, createCaller, createServices, locateOpenSpecCli } from "../src";
import { describeEachDb } from "../testing/each-db";
import {
  changeFiles,
  cleanupTempRepos,
  MAIN_SPEC,
  PROPOSAL,
  tempRepo,
  writeTree,
} from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * A delta whose requirement has no scenario: `openspec validate --strict` rejects it, and so
 * does archive.
 */
const INVALID_DELTA = `## ADDED Requirements
### Requirement: Broken behaviour
The system SHALL break.
`;

const MODIFIED_DELTA = `## MODIFIED Requirements
### Requirement: Demo behaviour
The system SHALL demo loudly.

#### Scenario: Demo works
- **WHEN** a user demos
- **THEN** it works, loudly
`;

describeEachDb("LifecycleService with the real OpenSpec CLI", (db) => {
  async function setup(
    files: Record<string, string> = {},
    lifecycle: Parameters<typeof createServices>[1] = {},
  ) {
    const root = tempRepo();
    writeTree(root, { "specs/demo/spec.md": MAIN_SPEC, ...files });
    const services = createServices(db().database, {
      allowedRoots: [path.dirname(root)],
      ...lifecycle,
    });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const caller = createCaller({
      services,
      requiredToken: null,
      presentedToken: null,
      actor: "erin",
    } satisfies Context);
    const row = async (name: string) =>
      (
        await services.specs.list({
          projectId: project.id,
          kind: "change",
          search: name,
          limit: 200,
        })
      ).items.find((i) => i.name === name)!;
    const history = async (id: string) =>
      (await services.history.list({ specId: id, limit: 50 })).items;
    const file = (rel: string) => path.join(root, "openspec", rel);
    return { root, services, project, caller, row, history, file };
  }

  it("new: a bad name is refused before the CLI runs; a good one is created by `openspec new change`, imported and in history", async () => {
    const { caller, project, file, history, services } = await setup();
    await expect(
      caller.changes.create({ projectId: project.id, name: "Bad_Name" }),
    ).rejects.toThrow(/kebab-case/);
    await expect(
      caller.changes.create({ projectId: project.id, name: "../escape" }),
    ).rejects.toThrow(/kebab-case/);
    expect(readdirSync(file("changes")).sort()).toEqual(["archive"]);

    const created = await caller.changes.create({
      projectId: project.id,
      name: "add-dark-mode",
      goal: "Let people work at night; `rm -rf /` $(id)",
    });
    // Exactly what the CLI writes, the goal passed as one argument (no shell).
    expect(readFileSync(file("changes/add-dark-mode/.openspec.yaml"), "utf8")).toMatch(
      /^schema: spec-driven\ncreated: \d{4}-\d{2}-\d{2}\ngoal: .*rm -rf.*\$\(id\)/,
    );
    const row = await services.sync.getRow(created.id);
    expect(row).toMatchObject({
      name: "add-dark-mode",
      kind: "change",
      stage: "draft",
      status: "proposing",
    });
    expect((await history(created.id)).find((h) => h.trigger === "lifecycle")).toMatchObject({
      action: "created",
      success: true,
      actor: "erin",
    });
    await expect(
      caller.changes.create({ projectId: project.id, name: "add-dark-mode" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("validate: findings stored on the row at their lines, queryable, shown as counts in the list, in history with the actor", async () => {
    const { caller, project, row, history } = await setup({
      ...changeFiles("add-good"),
      ...changeFiles("add-broken"),
      "changes/add-broken/specs/demo/spec.md": `## ADDED Requirements\n\n${INVALID_DELTA.split("\n").slice(1).join("\n")}`,
    });
    const good = await caller.changes.validate({ id: (await row("add-good")).id });
    expect(good).toMatchObject({ valid: true, errors: 0 });
    const broken = await caller.changes.validate({ id: (await row("add-broken")).id });
    expect(broken.valid).toBe(false);
    expect(broken.findings).toContainEqual({
      level: "ERROR",
      file: "specs/demo/spec.md",
      line: 3,
      message: expect.stringMatching(/"Broken behaviour" must include at least one scenario/),
    });
    const listed = await caller.specs.list({
      projectId: project.id,
      kind: "change",
      hasValidationErrors: true,
    });
    expect(listed.items.map((i) => [i.name, i.validationErrors])).toEqual([
      ["add-broken", broken.errors],
    ]);
    expect((await caller.specs.get({ id: (await row("add-broken")).id })).validation).toMatchObject(
      { valid: false, errors: broken.errors },
    );
    expect((await history((await row("add-broken")).id))[0]).toMatchObject({
      action: "validated",
      trigger: "lifecycle",
      actor: "erin",
      note: expect.stringMatching(/errors/),
    });
  });

  it("validation after a save runs after the flush (the save does not wait) and stores the new findings", async () => {
    const { services, caller, row, file } = await setup(changeFiles("add-demo"), {
      lifecycle: { validateDebounceMs: 20 },
    });
    services.lifecycle.startAutoValidate();
    try {
      const r = await caller.specs.get({ id: (await row("add-demo")).id });
      const saved = await caller.specs.update({
        id: r.id,
        file: "specs/demo/spec.md",
        content: INVALID_DELTA,
        baseHash: r.contentHashes["specs/demo/spec.md"]!,
      });
      // The save is on disk and answered while the validation has not even started.
      expect(readFileSync(file("changes/add-demo/specs/demo/spec.md"), "utf8")).toBe(INVALID_DELTA);
      expect((await services.sync.getRow(r.id)).validation).toBeNull();
      await services.lifecycle.idle();
      const v = (await services.sync.getRow(r.id)).validation!;
      expect(v).toMatchObject({ valid: false, contentHashes: saved.contentHashes });
      expect(v.findings.some((f) => f.file === "specs/demo/spec.md" && f.line === 2)).toBe(true);
    } finally {
      services.lifecycle.stopAutoValidate();
    }
  });

  it("archive: the preview equals what the CLI writes; same row, archived, specs synced, history with the actor", async () => {
    const { caller, services, row, file, history } = await setup({
      ...changeFiles("add-loud"),
      "changes/add-loud/specs/demo/spec.md": MODIFIED_DELTA,
    });
    const id = (await row("add-loud")).id;
    const preview = await caller.changes.preview({ id });
    expect(preview.specs).toHaveLength(1);
    const [spec] = preview.specs;
    expect(spec).toMatchObject({
      capability: "demo",
      file: "specs/demo/spec.md",
      isNew: false,
      error: null,
      counts: { modified: 1 },
    });
    expect(spec!.requirements).toEqual([
      {
        op: "MODIFIED",
        name: "Demo behaviour",
        before: expect.stringContaining("The system SHALL demo."),
        after: expect.stringContaining("demo loudly"),
      },
    ]);
    expect(readFileSync(file("specs/demo/spec.md"), "utf8")).toBe(MAIN_SPEC); // a preview writes nothing

    const out = await caller.changes.archive({ id });
    expect(out.archivedAs).toMatch(/^\d{4}-\d{2}-\d{2}-add-loud$/);
    expect(readFileSync(file("specs/demo/spec.md"), "utf8")).toBe(spec!.after);
    expect(existsSync(file("changes/add-loud"))).toBe(false);
    const archived = await services.sync.getRow(id);
    expect(archived).toMatchObject({
      archived: true,
      stage: "archived",
      status: "archived",
      statusChangedBy: "erin",
      path: `changes/archive/${out.archivedAs}`,
    });
    const mainSpec = (await services.specs.list({ kind: "spec", search: "demo" })).items.find(
      (i) => i.name === "demo",
    )!;
    expect((await services.sync.getRow(mainSpec.id)).specContent).toBe(spec!.after);
    expect((await history(id)).find((h) => h.trigger === "lifecycle")).toMatchObject({
      action: "archived",
      success: true,
      actor: "erin",
      filesChanged: ["specs/demo/spec.md"],
    });
    await expect(caller.changes.archive({ id })).rejects.toThrow(/already archived/);
  });

  it("archive of an invalid change: the CLI's message, nothing moved or written, the failure in history", async () => {
    const { caller, row, file, history } = await setup({
      ...changeFiles("add-broken"),
      "changes/add-broken/specs/demo/spec.md": INVALID_DELTA,
    });
    const id = (await row("add-broken")).id;
    await expect(caller.changes.archive({ id })).rejects.toThrow(
      /Validation failed for change 'add-broken'/,
    );
    expect(existsSync(file("changes/add-broken/proposal.md"))).toBe(true);
    expect(readdirSync(file("changes/archive"))).toEqual([]);
    expect(readFileSync(file("specs/demo/spec.md"), "utf8")).toBe(MAIN_SPEC);
    expect((await history(id))[0]).toMatchObject({
      action: "failed",
      success: false,
      trigger: "lifecycle",
      actor: "erin",
      error: expect.stringMatching(/^archive: Validation failed/),
    });
    expect((await row("add-broken")).status).not.toBe("archived");
  });

  it("two archives of the same change at once: one archives, the other is refused; one archive folder", async () => {
    const { caller, row, file } = await setup(changeFiles("add-twice"));
    const id = (await row("add-twice")).id;
    const results = await Promise.allSettled([
      caller.changes.archive({ id }),
      caller.changes.archive({ id }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(String(refused.reason.message)).toMatch(
      /is being archived by another request|already archived/,
    );
    expect(
      readdirSync(file("changes/archive")).filter((n) => n.endsWith("add-twice")),
    ).toHaveLength(1);
  });

  it("choosing the status 'archived' runs the archive; 'archived' cannot be picked otherwise or left", async () => {
    const { caller, services, row, file } = await setup({
      ...changeFiles("add-via-status"),
      ...changeFiles("add-other"),
    });
    const id = (await row("add-via-status")).id;
    await expect(services.specs.setStatus({ id, status: "archived" })).rejects.toThrow(
      /set by archiving/,
    );
    await expect(
      caller.changes.bulkUpdate({ ids: [id], status: "archived" as never }),
    ).rejects.toThrow();
    const after = await caller.specs.setStatus({ id, status: "archived" });
    expect(after).toMatchObject({ archived: true, status: "archived" });
    expect(existsSync(file("changes/add-via-status"))).toBe(false);
    await expect(caller.specs.setStatus({ id, status: "proposing" })).rejects.toThrow(
      /archived on disk/,
    );
  });

  it("status starts from the stage at import; a disagreeing status is flagged; bulk edits are each in history", async () => {
    const { caller, project, row, history } = await setup({
      ...changeFiles("add-draft"),
      "changes/add-draft/tasks.md": "# Tasks\n",
      ...changeFiles("add-going"),
      ...changeFiles("add-planned"),
      "changes/add-planned/tasks.md": "- [ ] 1.1 a\n- [ ] 1.2 b\n",
      ...changeFiles("add-done"),
      "changes/add-done/tasks.md": "- [x] 1.1 a\n- [x] 1.2 b\n",
      "changes/archive/2026-01-01-add-old/proposal.md": PROPOSAL("old"),
    });
    expect(await row("add-draft")).toMatchObject({ stage: "draft", status: "proposing" });
    expect(await row("add-going")).toMatchObject({ stage: "in_progress", status: "in_progress" });
    // Tasks written, none ticked: a plan, not work begun (next_work must not treat it as busy).
    expect(await row("add-planned")).toMatchObject({ stage: "in_progress", status: "proposing" });
    expect(await row("add-done")).toMatchObject({ stage: "complete", status: "applied" });
    const old = (await caller.specs.list({ projectId: project.id, archived: true })).items[0]!;
    expect(old).toMatchObject({ name: "add-old", stage: "archived", status: "archived" });
    expect(
      (await caller.specs.list({ projectId: project.id, stage: ["complete"] })).items.map(
        (i) => i.name,
      ),
    ).toEqual(["add-done"]);

    const ids = [(await row("add-done")).id, (await row("add-going")).id];
    const res = await caller.changes.bulkUpdate({ ids, status: "approved", priority: "high" });
    expect(res).toEqual({ updated: 2, failed: [] });
    const done = await row("add-done");
    expect(statusMismatch(done.status, done)).toMatch(
      /all 2 tasks are done but the status is still "approved"/,
    );
    expect(statusMismatch((await row("add-going")).status, await row("add-going"))).toBeNull();
    const notes = (await history(ids[0]!))
      .filter((h) => h.trigger === "lifecycle")
      .map((h) => [h.action, h.note, h.actor]);
    expect(notes).toEqual([
      ["priority_changed", "priority none → high", "erin"],
      ["status_changed", "status applied → approved", "erin"],
    ]);
    const summary = await caller.changes.summary({ projectId: project.id });
    expect(summary.byStage).toMatchObject({ draft: 1, in_progress: 2, complete: 1, archived: 1 });
    expect(summary.mismatched.map((m) => m.name)).toEqual(["add-done"]);
    expect(summary.specs).toMatchObject({ specs: 1, requirements: 1 });
  });

  it("faults: a CLI missing or outside the supported range, a timeout — clear message, nothing done, history says so", async () => {
    const fake = mkdtempSync(path.join(tmpdir(), "specsync-cli-"));
    expect(() => locateOpenSpecCli(path.join(fake, "nowhere"))).toThrow(/not installed/);
    mkdirSync(path.join(fake, "old"));
    writeFileSync(
      path.join(fake, "old/package.json"),
      JSON.stringify({
        name: "@fission-ai/openspec",
        version: "0.9.0",
        bin: { openspec: "bin/openspec.js" },
      }),
    );
    const old = await setup(changeFiles("add-demo"), {
      lifecycle: { cliPackageDir: path.join(fake, "old") },
    });
    const id = (await old.row("add-demo")).id;
    await expect(old.caller.changes.validate({ id })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(
        /0\.9\.0 .* is not supported: specsync needs >=1\.13\.2 <1\.14\.0/,
      ),
    });
    expect(old.services.lifecycle.checkCli()).toMatchObject({ ok: false });
    await expect(
      old.caller.changes.create({ projectId: old.project.id, name: "add-new" }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(existsSync(old.file("changes/add-new"))).toBe(false);
    expect((await old.history(id))[0]).toMatchObject({
      action: "failed",
      success: false,
      error: expect.stringMatching(/not supported/),
    });

    // The real CLI needs far more than 50 ms to start: it is stopped, and the archive never
    // happens.
    const slow = await setup(changeFiles("add-slow"), { lifecycle: { timeoutMs: 50 } });
    const slowId = (await slow.row("add-slow")).id;
    await expect(slow.caller.changes.archive({ id: slowId })).rejects.toMatchObject({
      code: "TIMEOUT",
      message: expect.stringMatching(/did not finish within 50 ms/),
    });
    expect(existsSync(slow.file("changes/add-slow/proposal.md"))).toBe(true);
    expect(readFileSync(slow.file("specs/demo/spec.md"), "utf8")).toBe(MAIN_SPEC);
    expect((await slow.history(slowId))[0]).toMatchObject({
      action: "failed",
      error: expect.stringMatching(/^archive: .*did not finish/),
    });
  });
});
