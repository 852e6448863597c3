import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

/**
 * A real full disk: the project lives on a 512 KiB tmpfs that the test fills up. Needs root
 * (mount); CI runs as root, elsewhere the injected ENOSPC test in fs-helpers.test.ts covers the
 * same path.
 */
const mountPoint = mkdtempSync(path.join(tmpdir(), "specsync-tinyfs-"));
let mounted = false;
if (userInfo().uid === 0) {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs", mountPoint], {
      stdio: "pipe",
    });
    mounted = true;
  } catch (err) {
    if (process.env.CI)
      throw new Error(
        `CI runs as root and must be able to mount a tmpfs: ${(err as Error).message}`,
      );
  }
}
afterAll(() => {
  cleanupTempRepos();
  if (mounted) execFileSync("umount", ["-l", mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/**
 * Services whose atomic writes fail with `code` until `allow()`, over a fresh one-change workspace
 * already imported; `file` is the path of `name` in the workspace.
 */
async function failingWrites(
  database: Parameters<typeof createServices>[0],
  name: string,
  code: "EACCES" | "EROFS",
) {
  let deny = true;
  const message = code === "EACCES" ? "permission denied, open" : "read-only file system";
  const services = createServices(database, {
    writeHooks: {
      beforeWrite: () =>
        deny
          ? Promise.reject(Object.assign(new Error(`${code}: ${message}`), { code }))
          : undefined,
    },
  });
  const root = tempRepo();
  writeTree(root, changeFiles(name));
  const project = await services.sync.ensureProject(root);
  await services.sync.syncProject(project, "startup");
  const id = (await services.specs.list({ projectId: project.id, search: name })).items[0]!.id;
  const row = await services.sync.getRow(id);
  const file = (rel: string) => path.join(root, "openspec/changes", name, rel);
  return { services, id, row, file, allow: () => (deny = false) };
}

describeEachDb("disk full (real ENOSPC on a tiny tmpfs)", (db, driver) => {
  it.skipIf(!mounted)(
    "the edit is kept in the database, the file keeps its old bytes, no temp file; written once space is back",
    async () => {
      const root = path.join(mountPoint, driver);
      for (const [rel, content] of Object.entries(changeFiles("add-full"))) {
        mkdirSync(path.dirname(path.join(root, "openspec", rel)), { recursive: true });
        writeFileSync(path.join(root, "openspec", rel), content);
      }
      const services = createServices(db().database);
      const project = await services.sync.ensureProject(root);
      await services.sync.syncProject(project, "startup");
      const id = (await services.specs.list({ projectId: project.id, search: "add-full" }))
        .items[0]!.id;
      const row = await services.sync.getRow(id);
      const folder = path.join(root, "openspec/changes/add-full");
      const before = readFileSync(path.join(folder, "proposal.md"), "utf8");

      // Fill the disk: one filler file, written until the kernel says no.
      const filler = path.join(mountPoint, `filler-${driver}`);
      const chunk = Buffer.alloc(4096, 1);
      let written = 0;
      try {
        for (;;) {
          writeFileSync(filler, chunk, { flag: "a" });
          written += chunk.length;
        }
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
      }
      expect(written).toBeGreaterThan(0);

      const edited = `${before}\n${"A bigger edit than the disk can take. ".repeat(500)}\n`;
      const err = await services.specs
        .update({
          id,
          file: "proposal.md",
          content: edited,
          baseHash: row.contentHashes["proposal.md"]!,
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "IO_ERROR" });
      expect((err as Error).message).toMatch(/ENOSPC|no space left/i);
      expect((err as Error).message).toMatch(/kept in the database/);
      expect(readFileSync(path.join(folder, "proposal.md"), "utf8")).toBe(before);
      expect(readdirSync(folder).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      const kept = await services.specs.get(id);
      expect(kept.files["proposal.md"]).toBe(edited);
      expect(kept.pendingFiles).toEqual(["proposal.md"]);
      // A sync while the disk is still full: still pending, still no temp file, nothing lost.
      const retry = await services.sync.syncSpec(id, "manual");
      expect(retry.success).toBe(false);
      expect(readdirSync(folder).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect((await services.specs.get(id)).pendingFiles).toEqual(["proposal.md"]);

      rmSync(filler);
      const flushed = await services.sync.syncSpec(id, "manual");
      expect(flushed).toMatchObject({
        success: true,
        action: "updated",
        filesChanged: ["proposal.md"],
      });
      expect(readFileSync(path.join(folder, "proposal.md"), "utf8")).toBe(edited);
      const after = await services.specs.get(id);
      expect(after.pendingFiles).toEqual([]);
      expect(after.syncError).toBeNull();
      const history = (await services.history.list({ specId: id, limit: 10 })).items;
      // One entry for the edit: the failed save, its failed retry and the flush are one story.
      expect(
        history.filter((h) => h.direction === "db_to_fs").map((h) => [h.action, h.success]),
      ).toEqual([["flushed", true]]);
    },
  );

  it("permission denied (EACCES, injected at the write helper: root ignores modes): same guarantees", async () => {
    const { services, id, row, allow, ...at } = await failingWrites(
      db().database,
      "add-denied",
      "EACCES",
    );
    const file = at.file("tasks.md");
    const before = readFileSync(file, "utf8");
    const err = await services.specs
      .update({
        id,
        file: "tasks.md",
        content: "- [x] 1.1 Denied at first\n",
        baseHash: row.contentHashes["tasks.md"]!,
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "IO_ERROR" });
    expect((err as Error).message).toMatch(/permission denied/);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(readdirSync(path.dirname(file)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect((await services.specs.get(id)).pendingFiles).toEqual(["tasks.md"]);
    const dbToFs = async () =>
      (await services.history.list({ specId: id, limit: 20 })).items.filter(
        (h) => h.direction === "db_to_fs",
      );
    const [failed] = await dbToFs();
    expect(failed).toMatchObject({ action: "failed", previousContent: { "tasks.md": before } });
    // The person saves again (on the hash the kept edit has), then a sync retries: both fail, and
    // both are the same open failure, not new entries.
    const kept = (err as { details?: { currentHash?: string } }).details?.currentHash;
    expect(kept).toBeTruthy();
    const again = await services.specs
      .update({ id, file: "tasks.md", content: "- [x] 1.1 Denied at first\n", baseHash: kept! })
      .catch((e: unknown) => e);
    expect(again).toMatchObject({ code: "IO_ERROR" });
    expect((await services.sync.syncSpec(id, "manual")).success).toBe(false);
    expect((await dbToFs()).map((h) => [h.id, h.action])).toEqual([[failed!.id, "failed"]]);
    allow();
    expect((await services.sync.syncSpec(id, "manual")).success).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("- [x] 1.1 Denied at first\n");
    // Closed by the flush: written, saying the first write failed, the replaced version kept.
    const closed = await dbToFs();
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({
      id: failed!.id,
      action: "flushed",
      success: true,
      error: null,
      trigger: "user_edit",
      previousContent: { "tasks.md": before },
    });
    expect(closed[0]!.note).toMatch(
      /first write failed \(.*permission denied.*\); written by a later sync \(manual\)/,
    );
    // Nothing lost: the version the write replaced comes back from that entry.
    await services.sync.restore(failed!.id, "tasks.md");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("a failed write done later by a new save of the person: one entry, flushed, the disk version kept", async () => {
    const { services, id, row, allow, ...at } = await failingWrites(
      db().database,
      "add-resaved",
      "EROFS",
    );
    const file = at.file("proposal.md");
    const before = readFileSync(file, "utf8");
    const text = `${before}\nSaved while the disk said no.\n`;
    const err = await services.specs
      .update({
        id,
        file: "proposal.md",
        content: text,
        baseHash: row.contentHashes["proposal.md"]!,
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "IO_ERROR" });
    allow();
    const kept = (err as { details?: { currentHash?: string } }).details?.currentHash;
    await services.specs.update({ id, file: "proposal.md", content: text, baseHash: kept! });
    expect(readFileSync(file, "utf8")).toBe(text);
    const entries = (await services.history.list({ specId: id, limit: 20 })).items.filter(
      (h) => h.direction === "db_to_fs",
    );
    expect(entries.map((h) => [h.action, h.success, h.error])).toEqual([["flushed", true, null]]);
    expect(entries[0]!.previousContent).toEqual({ "proposal.md": before });
    expect(entries[0]!.note).toMatch(/first write failed \(.*read-only file system/);
    expect((await services.specs.get(id)).pendingFiles).toEqual([]);
  });

  it("a failed write replaced by a save of other text: the edit that never reached the disk is kept", async () => {
    const { services, id, row, allow, ...at } = await failingWrites(
      db().database,
      "add-replaced",
      "EROFS",
    );
    const file = at.file("proposal.md");
    const before = readFileSync(file, "utf8");
    const first = `${before}\nFirst thoughts, never written.\n`;
    const err = await services.specs
      .update({
        id,
        file: "proposal.md",
        content: first,
        baseHash: row.contentHashes["proposal.md"]!,
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "IO_ERROR" });
    const kept = (err as { details?: { currentHash?: string } }).details?.currentHash;
    // The person rewrites it (still failing), then once more when the disk takes it.
    const second = `${before}\nSecond thoughts.\n`;
    const again = await services.specs
      .update({ id, file: "proposal.md", content: second, baseHash: kept! })
      .catch((e: unknown) => e);
    expect(again).toMatchObject({ code: "IO_ERROR" });
    allow();
    const third = `${before}\nThird thoughts.\n`;
    const keptAgain = (again as { details?: { currentHash?: string } }).details?.currentHash;
    await services.specs.update({ id, file: "proposal.md", content: third, baseHash: keptAgain! });
    expect(readFileSync(file, "utf8")).toBe(third);
    const entries = (await services.history.list({ specId: id, limit: 20 })).items.filter(
      (h) => h.direction === "db_to_fs",
    );
    // Every version is in the database: both edits that never reached the disk, and the disk
    // version the final write replaced.
    const drafts = entries.filter((h) => h.action === "draft_discarded");
    expect(drafts.map((h) => h.previousContent)).toEqual([
      { "proposal.md": second },
      { "proposal.md": first },
    ]);
    const flushed = entries.filter((h) => h.action === "flushed");
    expect(flushed.map((h) => h.previousContent)).toEqual([{ "proposal.md": before }]);
    // A kept edit can be brought back.
    await services.sync.restore(drafts[1]!.id, "proposal.md");
    expect(readFileSync(file, "utf8")).toBe(first);
  });
});
