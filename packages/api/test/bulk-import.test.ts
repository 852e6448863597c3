import { utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices, sharedParsePool } from "../src";
import { folderLastModified } from "../src/utils/fs/change-folder";
import { folderFingerprint } from "../src/utils/fs/folder-fingerprint";
import { describeEachDb } from "../testing/each-db";
import {
  changeFiles,
  cleanupTempRepos,
  MAIN_SPEC,
  tempRepo,
  writeTree,
} from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * Columns that differ between two imports of the same files by nature (ids, times, the project,
 * inodes).
 */
const VOLATILE = [
  "id",
  "project_id",
  "file_stats",
  "stat_fingerprint",
  "file_modified_at",
  "last_synced_at",
  "created_at",
  "updated_at",
  "status_changed_at",
];

describeEachDb("bulk import (one JSON-parameter INSERT per 50 new folders)", (db) => {
  it("writes every row exactly as the one-folder path does, search vector included", async () => {
    const services = createServices(db().database);
    const files: Record<string, string> = {
      "specs/demo/spec.md": MAIN_SPEC,
      "specs/other/spec.md": MAIN_SPEC.replace(/demo/g, "other"),
    };
    for (let i = 0; i < 60; i++)
      Object.assign(files, changeFiles(`change-${i}`, `Change ${i} «ünïcode» \\ "quoted"`));
    files["changes/change-7/tasks.md"] = "## 1. Work\n\n- [ ] 1.1 Calibrate the zymurgical flux\n";
    files["changes/archive/2026-01-01-old/proposal.md"] =
      "## Why\n\nOld.\n\n## What Changes\n\n- Nothing.\n";
    const bulkRoot = tempRepo();
    const oneRoot = tempRepo();
    writeTree(bulkRoot, files);
    writeTree(oneRoot, files);
    const bulk = await services.sync.ensureProject(bulkRoot);
    const one = await services.sync.ensureProject(oneRoot);
    const summary = await services.sync.syncProject(bulk, "startup");
    expect(summary.failed).toBe(0);
    expect(summary.outcomes.filter((o) => o.action === "created")).toHaveLength(63);
    for (const o of summary.outcomes) await services.sync.syncFolder(one, o.path, "startup");

    const rowsOf = async (projectId: string) =>
      (
        await db().database.query<Record<string, unknown>>(
          "select *, search::text as search_text from openspec_specs where project_id = $1 order by path",
          [projectId],
        )
      ).map((r) =>
        Object.fromEntries(
          Object.entries(r).filter(([k]) => !VOLATILE.includes(k) && k !== "search"),
        ),
      );
    const bulkRows = await rowsOf(bulk.id);
    expect(bulkRows).toHaveLength(63);
    expect(bulkRows).toEqual(await rowsOf(one.id));
    // One `created` history row per folder, linked to its row and to the outcome (the bulk path
    // inserts them from one JSON parameter too; its rows were never the one-folder path's: that
    // one records `previous_content`).
    const bulkHistory = await db().database.query<Record<string, unknown>>(
      `select h.*, s.path, s.name as row_name, s.content_hashes
         from sync_history h join openspec_specs s on s.id = h.spec_id
        where h.project_id = $1 order by s.path`,
      [bulk.id],
    );
    expect(bulkHistory).toHaveLength(63);
    for (const h of bulkHistory) {
      const outcome = summary.outcomes.find((o) => o.path === h.path);
      expect(outcome?.historyId).toBe(Number(h.id));
      expect(h.files_changed).toEqual(outcome?.filesChanged);
      expect([...(h.files_changed as string[])].sort()).toEqual(
        Object.keys(h.content_hashes as object).sort(),
      );
      expect(h).toMatchObject({
        name: h.row_name,
        direction: "fs_to_db",
        trigger: "startup",
        action: "created",
        success: true,
        error: null,
        conflict: null,
        previous_content: null,
        actor: null,
        note: null,
        lifecycle: null,
      });
      expect(h.duration_ms).toBeGreaterThanOrEqual(0);
      expect(h.created_at).not.toBeNull();
    }
    // Both paths say where an imported archived row's status came from, and when.
    const archived = await db().database.query<Record<string, unknown>>(
      "select status_changed_by, status_changed_at from openspec_specs where archived order by project_id",
    );
    expect(archived).toHaveLength(2);
    for (const r of archived) {
      expect(r.status_changed_by).toBe("specsync (archived on disk)");
      expect(r.status_changed_at).not.toBeNull();
    }

    const found = (
      await services.specs.list({ projectId: bulk.id, kind: "change", search: "zymurgical" })
    ).items;
    expect(found.map((c) => c.name)).toEqual(["change-7"]);
  });
});

describeEachDb("bulk import: search vectors filled after the import (migration 0015)", (db) => {
  it("defers the vectors on both drivers, fills them as the trigger would, and says when search is catching up", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 210; i++) Object.assign(files, changeFiles(`change-${i}`, `Change ${i}`));
    files["changes/change-7/tasks.md"] = "## 1. Work\n\n- [ ] 1.1 Calibrate the zymurgical flux\n";
    const bulkRoot = tempRepo();
    const oneRoot = tempRepo();
    writeTree(bulkRoot, files);
    writeTree(
      oneRoot,
      Object.fromEntries(Object.entries(files).filter(([f]) => f.startsWith("changes/change-7/"))),
    );
    // What each INSERT stored as its vector, after the triggers (an AFTER trigger sees the row
    // the BEFORE trigger left): NULL when the import deferred it.
    const q = (text: string, params: unknown[] = []) => db().database.query(text, params);
    await q("create table defer_probe (name text, deferred boolean)");
    await q(`create function defer_probe_row() returns trigger language plpgsql as $$
      begin insert into defer_probe values (new.name, new.search is null); return null; end $$`);
    await q(`create trigger defer_probe after insert on openspec_specs
      for each row execute function defer_probe_row()`);
    const services = createServices(db().database);
    const bulk = await services.sync.ensureProject(bulkRoot);
    const summary = await services.sync.syncProject(bulk, "startup");
    expect(summary.failed).toBe(0);
    expect(summary.changed).toBe(210);
    await q("drop trigger defer_probe on openspec_specs");
    const probe = await db().database.query<{ n: number; deferred: number }>(
      "select count(*)::int as n, count(*) filter (where deferred)::int as deferred from defer_probe",
    );
    // PGlite defers too since session 23 (it computed them inline before).
    expect(probe[0]).toEqual({ n: 210, deferred: 210 });
    const list = (s: ReturnType<typeof createServices>, search: string) =>
      s.specs.list({ projectId: bulk.id, kind: "change", search });
    const names = (page: { items: { name: string }[] }) => page.items.map((c) => c.name);
    // Right after the import: found, or honestly reported as not yet searchable by its text.
    const early = await list(services, "zymurgical");
    if (early.searchPending === 0) expect(names(early)).toEqual(["change-7"]);
    else expect(early.searchPending).toBeGreaterThan(25);
    await services.sync.searchFilled();
    const pending = async () =>
      (
        await db().database.query<{ n: number }>(
          "select count(*)::int as n from openspec_specs where search is null",
        )
      )[0]?.n;
    expect(await pending()).toBe(0);
    const filled = await list(services, "zymurgical");
    expect(names(filled)).toEqual(["change-7"]);
    expect(filled.searchPending).toBe(0);

    // What a process that stopped before the fill leaves behind (or a fill still under way).
    await q("update openspec_specs set search = null where project_id = $1", [bulk.id]);
    // Too many rows wait to compute their vectors here: a word only in a file does not match
    // (so the 210 vectors were not computed), the answer says how many wait, and the name and
    // the title still match.
    const catching = await list(services, "zymurgical");
    expect(names(catching)).toEqual([]);
    expect(catching.searchPending).toBe(210);
    const byName = await list(services, "change-7");
    expect(names(byName)).toContain("change-7");
    expect(byName.searchPending).toBe(210);
    expect(names(await list(services, "Change 42"))).toEqual(["change-42"]);
    // The count covers the rows the search covers: another kind, none waiting.
    const specs = await services.specs.list({ projectId: bulk.id, kind: "spec", search: "x" });
    expect(specs.searchPending).toBe(0);
    // A few waiting (a save's pending vector): computed here, found by their text, none reported.
    await q(
      `update openspec_specs set search = openspec_specs_search_of(openspec_specs)
        where project_id = $1 and name not in ('change-7', 'change-8')`,
      [bulk.id],
    );
    const few = await list(services, "zymurgical");
    expect(names(few)).toEqual(["change-7"]);
    expect(few.searchPending).toBe(0);
    await q("update openspec_specs set search = null where project_id = $1", [bulk.id]);

    // The next process's first full sync resumes the fill; then nothing is reported.
    const restarted = createServices(db().database);
    await restarted.sync.syncProject(bulk, "startup");
    await restarted.sync.searchFilled();
    expect(await pending()).toBe(0);
    const after = await list(restarted, "zymurgical");
    expect(names(after)).toEqual(["change-7"]);
    expect(after.searchPending).toBe(0);
    // The filled vector is the one the trigger computes on the one-folder path.
    const one = await services.sync.ensureProject(oneRoot);
    await services.sync.syncProject(one, "startup");
    const vectors = await db().database.query<{ project_id: string; v: string }>(
      "select project_id, search::text as v from openspec_specs where name = 'change-7'",
    );
    expect(vectors).toHaveLength(2);
    expect(vectors[0]?.v).toBe(vectors[1]?.v);
    expect(vectors[0]?.v).toContain("zymurg");
  });
});

/** The directories above a relative file path, innermost first. */
const ancestors = (f: string) =>
  f
    .split("/")
    .slice(0, -1)
    .map((_, i, parts) => parts.slice(0, parts.length - i).join("/"));

describeEachDb("bulk import: dates and fingerprints from the read's own stats", (db) => {
  it("dates active changes as `openspec list` does, untracked entries included", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 25; i++) Object.assign(files, changeFiles(`change-${i}`));
    // Entries the tracked-file listing does not cover: the walk's answer is theirs.
    const extras = [
      "changes/change-1/notes.txt",
      "changes/change-2/specs/.hidden",
      "changes/change-3/specs/demo/extra.md",
      "changes/change-4/assets/picture.txt",
      "changes/change-5/specs/spec.md",
    ];
    for (const f of extras) files[f] = "not tracked\n";
    files["changes/archive/2026-01-01-old/proposal.md"] = "## Why\n\nOld.\n";
    const root = tempRepo();
    writeTree(root, files);
    // Tracked files older than the extras, each a different second.
    const t0 = Math.floor(Date.now() / 1000) - 10_000;
    for (const [i, f] of Object.keys(files).entries()) {
      const t = extras.includes(f) ? t0 + 5_000 : t0 + i;
      utimesSync(path.join(root, "openspec", f), t, t);
    }
    // Directories out of the fingerprint's racy window too.
    for (const d of new Set(Object.keys(files).flatMap((f) => ancestors(f))))
      utimesSync(path.join(root, "openspec", d), t0, t0);
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    const summary = await services.sync.syncProject(project, "startup");
    expect(summary.failed).toBe(0);
    expect(summary.changed).toBe(26);
    const rows = await db().database.query<{
      path: string;
      archived: boolean;
      file_modified_at: string | Date;
      stat_fingerprint: string | null;
      file_stats: Record<string, unknown>;
    }>(
      `select path, archived, file_modified_at, stat_fingerprint, file_stats from openspec_specs
        where project_id = $1`,
      [project.id],
    );
    expect(rows).toHaveLength(26);
    for (const r of rows) {
      const abs = path.join(root, "openspec", r.path);
      const at = new Date(r.file_modified_at).getTime();
      if (!r.archived) expect([r.path, at]).toEqual([r.path, folderLastModified(abs).getTime()]);
      if (extras.some((f) => f.startsWith(`${r.path}/`))) expect(at).toBe((t0 + 5_000) * 1000);
      // The fingerprint from the read's stats is the one a fresh stat of everything gives.
      const fresh = folderFingerprint(abs, Object.keys(r.file_stats));
      expect(fresh).not.toBeNull();
      expect(r.stat_fingerprint).toBe(fresh);
    }
  });
});

// Last in this file: it closes the process's parse pool.
describeEachDb("bulk import: when the pool's jobs fail", (db) => {
  it("imports every folder through the one-folder path instead", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) Object.assign(files, changeFiles(`change-${i}`));
    const root = tempRepo();
    writeTree(root, files);
    // A closed pool rejects every job, as a dead worker's or a timed-out one's would.
    await sharedParsePool().close();
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    const summary = await services.sync.syncProject(project, "startup");
    expect(summary.failed).toBe(0);
    expect(summary.outcomes.filter((o) => o.action === "created")).toHaveLength(30);
    const rows = await db().database.query<{ n: number }>(
      "select count(*)::int as n from openspec_specs where project_id = $1 and parse_error is null",
      [project.id],
    );
    expect(rows[0]?.n).toBe(30);
  });
});
