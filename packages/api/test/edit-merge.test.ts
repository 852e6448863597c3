import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  createServices,
  hasConflictMarkers,
  mergeThreeWay,
  parseTasks,
  SpecsyncError,
  sha256,
} from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, PROPOSAL, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);
const read = (p: string) => readFileSync(p, "utf8");

describe("mergeThreeWay (node-diff3)", () => {
  const base = "a\nb\nc\nd\ne\nf\n";
  it("combines edits to different lines", () => {
    expect(mergeThreeWay(base, "A\nb\nc\nd\ne\nf\n", "a\nb\nc\nd\ne\nF\n")).toEqual({
      clean: true,
      text: "A\nb\nc\nd\ne\nF\n",
    });
  });
  it("marks overlapping edits, disk side first, with the regions' line numbers", () => {
    const m = mergeThreeWay(base, "a\nb\nC disk\nd\ne\nf\n", "a\nb\nC mine\nd\ne\nf\n");
    expect(m.clean).toBe(false);
    expect(m.text).toBe("a\nb\n<<<<<<< on disk\nC disk\n=======\nC mine\n>>>>>>> yours\nd\ne\nf\n");
    expect(!m.clean && m.conflicts).toEqual([
      { startLine: 3, endLine: 7, current: "C disk\n", mine: "C mine\n", base: "c\n" },
    ]);
    expect(hasConflictMarkers(m.text)).toBe(true);
  });
  it("property: one side unchanged → the other side, byte for byte; both sides equal → that text", () => {
    const text = fc
      .array(fc.constantFrom("a\n", "b\n", "c\r\n", "", "d"), { maxLength: 12 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, text, (base, other) => {
        expect(mergeThreeWay(base, base, other)).toEqual({ clean: true, text: other });
        expect(mergeThreeWay(base, other, base)).toEqual({ clean: true, text: other });
        expect(mergeThreeWay(base, other, other)).toEqual({ clean: true, text: other });
      }),
    );
  });
  it("property: edits to lines far apart always merge, keeping both", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 9 }),
        fc.string({ maxLength: 8 }),
        fc.string({ maxLength: 8 }),
        (i, j, x, y) => {
          fc.pre(Math.abs(i - j) >= 2);
          const base = Array.from({ length: 10 }, (_, k) => `line ${k}\n`);
          const edit = (k: number, s: string) =>
            base.map((l, n) => (n === k ? `edited ${s.replace(/\n/g, " ")}\n` : l)).join("");
          const m = mergeThreeWay(base.join(""), edit(i, x), edit(j, y));
          expect(m.clean).toBe(true);
          expect(m.text.split("\n")[i]).toBe(`edited ${x.replace(/\n/g, " ")}`);
          expect(m.text.split("\n")[j]).toBe(`edited ${y.replace(/\n/g, " ")}`);
        },
      ),
    );
  });
  it("keeps CRLF, a BOM and a missing final newline byte for byte", () => {
    const b = "\uFEFFx\r\ny\r\nz";
    expect(mergeThreeWay(b, "\uFEFFX\r\ny\r\nz", "\uFEFFx\r\ny\r\nZ")).toEqual({
      clean: true,
      text: "\uFEFFX\r\ny\r\nZ",
    });
  });
});

const MANY_TASKS = `## 1. Work\n${Array.from({ length: 12 }, (_, i) => `- [ ] 1.${i + 1} Task number ${i + 1}\n`).join("")}`;

describeEachDb(
  "edits by people: three-way merge on save, tasks by id, discarded drafts kept",
  (db) => {
    async function setup() {
      const root = tempRepo();
      writeTree(root, {
        ...changeFiles("add-alpha", "Alpha feature"),
        "changes/add-alpha/tasks.md": MANY_TASKS,
      });
      const services = createServices(db().database, { allowedRoots: [path.dirname(root)] });
      const project = await services.sync.ensureProject(root);
      await services.sync.syncProject(project, "startup");
      const { items } = await services.specs.list({ projectId: project.id, kind: "change" });
      const id = items.find((i) => i.name === "add-alpha")!.id;
      const file = (rel: string) => path.join(root, "openspec/changes/add-alpha", rel);
      const got = await services.specs.get(id);
      return { root, services, project, id, file, got };
    }

    it("a save made on an older version merges with a disk edit to other lines, synced or not yet seen", async () => {
      for (const imported of [true, false]) {
        const { services, project, id, file, got } = await setup();
        const base = got.files["proposal.md"]!;
        const disk = base.replace(
          "# Change: Alpha feature",
          "# Change: Alpha feature (renamed on disk)",
        );
        writeFileSync(file("proposal.md"), disk);
        if (imported) await services.sync.syncFolder(project, "changes/add-alpha", "file_watcher");
        const mine = base.replace("- Affected specs: demo", "- Affected specs: demo, search");
        const res = await services.specs.update({
          id,
          file: "proposal.md",
          content: mine,
          baseHash: got.contentHashes["proposal.md"]!,
          actor: "ann",
        });
        expect(res.outcome).toBe("merged");
        const onDisk = readFileSync(file("proposal.md"), "utf8");
        expect(onDisk).toBe(
          base
            .replace("# Change: Alpha feature", "# Change: Alpha feature (renamed on disk)")
            .replace("- Affected specs: demo", "- Affected specs: demo, search"),
        );
        expect(res.hash).toBe(sha256(onDisk));
        expect((await services.specs.get(id)).files["proposal.md"]).toBe(onDisk);
      }
    });

    it("a save on the current version is written as is; overlapping edits answer CONFLICT with the merged text and regions, writing nothing", async () => {
      const { services, id, file, got } = await setup();
      const base = got.files["proposal.md"]!;
      const first = await services.specs.update({
        id,
        file: "proposal.md",
        content: base.replace("Because it matters.", "Because it matters a lot."),
        baseHash: got.contentHashes["proposal.md"]!,
      });
      expect(first.outcome).toBe("saved");
      const before = readFileSync(file("proposal.md"), "utf8");
      const err = await services.specs
        .update({
          id,
          file: "proposal.md",
          content: base.replace("Because it matters.", "Because I say so."),
          baseHash: got.contentHashes["proposal.md"]!,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecsyncError);
      expect((err as SpecsyncError).code).toBe("CONFLICT");
      const details = (err as SpecsyncError).details as {
        merged: string;
        conflicts: { startLine: number; endLine: number; current: string; mine: string }[];
        currentHash: string;
      };
      expect(details.merged).toContain(
        "<<<<<<< on disk\nBecause it matters a lot.\n=======\nBecause I say so.\n>>>>>>> yours\n",
      );
      expect(details.conflicts).toHaveLength(1);
      expect(details.merged.split("\n")[details.conflicts[0]!.startLine - 1]).toBe(
        "<<<<<<< on disk",
      );
      expect(details.currentHash).toBe(first.hash);
      expect(readFileSync(file("proposal.md"), "utf8")).toBe(before);
      // The preview shows the same without a save.
      const preview = await services.edits.preview({
        id,
        file: "proposal.md",
        content: base.replace("Because it matters.", "Because I say so."),
        baseHash: got.contentHashes["proposal.md"]!,
      });
      expect(preview.clean).toBe(false);
      expect(preview.text).toBe(details.merged);
    });

    it("keep disk: the discarded text is a history entry by its actor, and restoring it brings it back to disk", async () => {
      const { services, id, file, got } = await setup();
      const mine = `${got.files["proposal.md"]!}\nText I chose not to save.\n`;
      const { historyId } = await services.edits.discardDraft({
        id,
        file: "proposal.md",
        content: mine,
        baseHash: got.contentHashes["proposal.md"]!,
        actor: "ann",
      });
      const h = await services.history.get(historyId);
      expect(h).toMatchObject({
        action: "draft_discarded",
        actor: "ann",
        filesChanged: ["proposal.md"],
        previousContent: { "proposal.md": mine },
      });
      expect(readFileSync(file("proposal.md"), "utf8")).toBe(got.files["proposal.md"]);
      await services.sync.restore(historyId, "proposal.md", "ann");
      expect(readFileSync(file("proposal.md"), "utf8")).toBe(mine);
      // Hostile input: not a file of this change, a path outside it, too large — refused, nothing
      // recorded.
      const base = got.contentHashes["proposal.md"]!;
      await expect(
        services.edits.discardDraft({ id, file: "notes.txt", content: "x", baseHash: base }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(
        services.edits.discardDraft({ id, file: "../../etc/passwd", content: "x", baseHash: base }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(
        services.edits.discardDraft({
          id,
          file: "proposal.md",
          content: "x".repeat(1024 * 1024 + 1),
          baseHash: base,
        }),
      ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
      expect(
        (await services.history.list({ specId: id, limit: 50 })).items.filter(
          (h) => h.action === "draft_discarded",
        ),
      ).toHaveLength(1);
    });

    it("ten toggles on different tasks, all made on the same loaded version: all ten applied, exactly ten bytes changed", async () => {
      const { services, id, file, got } = await setup();
      const before = readFileSync(file("tasks.md"));
      const loaded = got.contentHashes["tasks.md"]!;
      for (let i = 1; i <= 10; i++) {
        const r = await services.specs.toggleTask({
          id,
          taskId: `1.${i}`,
          done: true,
          baseHash: loaded,
        });
        expect(r.outcome).toBe(i === 1 ? "saved" : "merged");
      }
      const after = readFileSync(file("tasks.md"));
      expect(after.length).toBe(before.length);
      expect([...after].filter((b, i) => b !== before[i])).toEqual(
        Array(10).fill("x".charCodeAt(0)),
      );
      expect((await services.specs.get(id)).tasksCompleted).toBe(10);
    });

    it("ten toggles of different tasks sent at once, by different people on the same version: all ten applied", async () => {
      const { services, id, file, got } = await setup();
      const loaded = got.contentHashes["tasks.md"]!;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          services.specs.toggleTask({
            id,
            taskId: `1.${i + 1}`,
            done: true,
            baseHash: loaded,
            actor: `user-${i}`,
          }),
        ),
      );
      expect((read(file("tasks.md")).match(/- \[x\]/g) ?? []).length).toBe(10);
    });

    it("a toggle racing a disk edit of another task keeps both; a disk edit of the task's own line is a CONFLICT", async () => {
      const { services, id, file, got } = await setup();
      const loaded = got.contentHashes["tasks.md"]!;
      writeFileSync(file("tasks.md"), MANY_TASKS.replace("- [ ] 1.2 Task", "- [x] 1.2 Task")); // not yet seen by a sync
      await services.specs.toggleTask({ id, taskId: "1.1", done: true, baseHash: loaded });
      expect(readFileSync(file("tasks.md"), "utf8")).toBe(
        MANY_TASKS.replace("- [ ] 1.2 Task", "- [x] 1.2 Task").replace(
          "- [ ] 1.1 Task",
          "- [x] 1.1 Task",
        ),
      );
      writeFileSync(
        file("tasks.md"),
        readFileSync(file("tasks.md"), "utf8").replace(
          "1.3 Task number 3",
          "1.3 Task number 3, reworded",
        ),
      );
      const err = await services.specs
        .toggleTask({ id, taskId: "1.3", done: true, baseHash: loaded })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "CONFLICT" });
      expect(readFileSync(file("tasks.md"), "utf8")).toContain("- [ ] 1.3 Task number 3, reworded");
      // A second click on the same task made on the old version: its own line changed (by the first
      // click).
      await expect(
        services.specs.toggleTask({ id, taskId: "1.1", done: false, baseHash: loaded }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      await expect(
        services.specs.toggleTask({ id, taskId: "9.9", done: true, baseHash: loaded }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("a repeated task text added above the target: the toggle ticks the task the id named in the base, or is a CONFLICT (F9)", async () => {
      const { services, id, file } = await setup();
      const dup = "## Backend\n- [ ] Write tests\n## Frontend\n- [ ] Write tests\n";
      const r0 = await services.specs.update({
        id,
        file: "tasks.md",
        content: dup,
        baseHash: (await services.specs.get(id)).contentHashes["tasks.md"]!,
      });
      const loaded = r0.hash;
      // The id of Frontend's task in the version the agent read: the second occurrence.
      const ids = parseTasks(dup).map((t) => t.id);
      expect(ids[1]).toMatch(/-2$/);
      writeFileSync(file("tasks.md"), dup.replace("## Frontend", "- [ ] Write tests\n## Frontend"));
      await services.specs.toggleTask({ id, taskId: ids[1]!, done: true, baseHash: loaded });
      expect(read(file("tasks.md"))).toBe(
        "## Backend\n- [ ] Write tests\n- [ ] Write tests\n## Frontend\n- [x] Write tests\n",
      );
      // Two identical lines next to each other, one added: which one the id meant is unknowable.
      const pair = "- [ ] Write tests\n- [ ] Write tests\n";
      const r1 = await services.specs.update({
        id,
        file: "tasks.md",
        content: pair,
        baseHash: (await services.specs.get(id)).contentHashes["tasks.md"]!,
      });
      writeFileSync(file("tasks.md"), `- [ ] Write tests\n${pair}`);
      const second = parseTasks(pair)[1]!.id;
      await expect(
        services.specs.toggleTask({ id, taskId: second, done: true, baseHash: r1.hash }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      expect(read(file("tasks.md"))).toBe(`- [ ] Write tests\n${pair}`);
    });

    it("a base that history does not know cannot be merged silently: every difference is a conflict", async () => {
      const { services, id, got } = await setup();
      const unknown = sha256("some version nobody kept");
      const err = await services.specs
        .update({ id, file: "proposal.md", content: PROPOSAL("Other"), baseHash: unknown })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "CONFLICT" });
      expect((await services.specs.get(id)).files["proposal.md"]).toBe(got.files["proposal.md"]);
    });
  },
);
