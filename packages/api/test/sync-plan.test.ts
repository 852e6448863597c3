import type { Stats } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  actionOf,
  applyFlush,
  asidePath,
  conflictOf,
  type DiskSide,
  fileState,
  historiesOf,
  isSettled,
  pendingAfter,
  pickMoveSource,
  planArrival,
  planFolder,
  planVanished,
  type RowBefore,
  type RowSide,
} from "../src/services/sync/plan";

// The planner is pure: hashes and texts in, decisions out. Contents double as their own hashes
// here.
const F = "proposal.md";
const disk = (files: Record<string, string>): DiskSide =>
  new Map(Object.entries(files).map(([f, text]) => [f, { hash: `h:${text}`, content: text }]));
const row = (db: Record<string, string>, base: Record<string, string>): RowSide => ({
  files: db,
  contentHashes: Object.fromEntries(Object.entries(db).map(([f, t]) => [f, `h:${t}`])),
  baseHashes: Object.fromEntries(Object.entries(base).map(([f, t]) => [f, `h:${t}`])),
});
const live: RowBefore = { exists: true, deleted: false, moved: false, archivedNow: false };
const stat = { size: 1, mtimeMs: 1_700_000_000_000, ino: 7 } as Stats;

/** docs/architecture.md, "The sync algorithm": disk vs base, db vs base → what happens. */
const TABLE = [
  { case: "nothing happened", disk: "a", db: "a", base: "a", state: "clean" },
  { case: "edited on disk", disk: "b", db: "a", base: "a", state: "fs_changed" },
  { case: "database edit not yet on disk", disk: "a", db: "b", base: "a", state: "db_changed" },
  { case: "both made the same edit", disk: "b", db: "b", base: "a", state: "converged" },
  { case: "changed differently on both sides", disk: "b", db: "c", base: "a", state: "conflict" },
  // Missing files are hash null: the same five rows cover creation and deletion.
  { case: "created on disk", disk: "b", db: null, base: null, state: "fs_changed" },
  { case: "deleted on disk", disk: null, db: "a", base: "a", state: "fs_changed" },
  { case: "created in the database", disk: null, db: "b", base: null, state: "db_changed" },
  { case: "deleted in the database", disk: "a", db: null, base: "a", state: "db_changed" },
  { case: "deleted on both sides", disk: null, db: null, base: "a", state: "converged" },
  {
    case: "deleted on disk, edited in the database",
    disk: null,
    db: "c",
    base: "a",
    state: "conflict",
  },
  { case: "created on both sides, differently", disk: "b", db: "c", base: null, state: "conflict" },
] as const;

const only = (text: string | null): Record<string, string> => (text === null ? {} : { [F]: text });

describe("fileState and planFolder: every row of the three-way table", () => {
  it.each(TABLE)("$case → $state", (t) => {
    const h = (x: string | null) => (x === null ? null : `h:${x}`);
    expect(fileState(h(t.disk), h(t.db), h(t.base))).toBe(t.state);

    const plan = planFolder(disk(only(t.disk)), row(only(t.db), only(t.base)));
    expect(plan.statuses).toEqual([
      { file: F, state: t.state, diskHash: h(t.disk), dbHash: h(t.db), baseHash: h(t.base) },
    ]);
    expect(plan.clean).toBe(t.state === "clean");
    // import: disk → database, the replaced database copy kept for history
    const imports = t.state === "fs_changed" || t.state === "conflict";
    expect(plan.imported).toEqual(imports ? [F] : []);
    expect(plan.previous).toEqual(imports ? { [F]: t.db } : {});
    expect(plan.conflicts).toEqual(t.state === "conflict" ? [F] : []);
    expect(plan.adopted).toEqual(t.state === "converged" ? [F] : []);
    expect(plan.flush).toEqual(t.state === "db_changed" ? [F] : []);
    // The row's files: the disk wins everywhere except where the database's edit is to be flushed.
    expect(plan.files).toEqual(only(t.state === "db_changed" ? t.db : t.disk));
    // The new base is what disk holds now.
    expect(plan.baseHashes).toEqual(t.disk === null ? {} : { [F]: h(t.disk) });
  });

  it("no row yet: every file on disk is imported, nothing replaced", () => {
    const plan = planFolder(disk({ [F]: "a", "tasks.md": "t" }), undefined);
    expect(plan.imported).toEqual([F, "tasks.md"]);
    expect(plan.previous).toEqual({ [F]: null, "tasks.md": null });
    expect(plan.files).toEqual({ [F]: "a", "tasks.md": "t" });
    expect(actionOf(plan.conflicts, { ...live, exists: false })).toBe("created");
  });

  it("a file whose stat was unchanged (not re-read) keeps the database text when adopted", () => {
    const side: DiskSide = new Map([[F, { hash: "h:b" }]]);
    expect(planFolder(side, row({ [F]: "b" }, { [F]: "a" })).files).toEqual({ [F]: "b" });
  });

  it("files are planned independently, in name order", () => {
    const plan = planFolder(
      disk({ "tasks.md": "t2", [F]: "p", "design.md": "d" }),
      row(
        { "tasks.md": "t", [F]: "p2", "specs/x/spec.md": "s" },
        { "tasks.md": "t", [F]: "p", "specs/x/spec.md": "s" },
      ),
    );
    expect(plan.statuses.map((s) => [s.file, s.state])).toEqual([
      ["design.md", "fs_changed"],
      [F, "db_changed"],
      ["specs/x/spec.md", "fs_changed"],
      ["tasks.md", "fs_changed"],
    ]);
    expect(plan.imported).toEqual(["design.md", "specs/x/spec.md", "tasks.md"]);
    expect(plan.flush).toEqual([F]);
    expect(plan.files).toEqual({ "design.md": "d", [F]: "p2", "tasks.md": "t2" });
  });
});

describe("applyFlush: the plan after database → disk writes", () => {
  const planned = () =>
    planFolder(
      disk({ [F]: "a", "tasks.md": "t" }),
      row({ [F]: "b", "tasks.md": "u" }, { [F]: "a", "tasks.md": "t" }),
    );

  it("a written file gets its new base and stat; the replaced bytes are kept", () => {
    const plan = planned();
    const done = applyFlush(plan, { [F]: "b", "tasks.md": "u" }, new Map(), [
      { file: F, kind: "written", hash: "h:b", stat, previous: "a" },
    ]);
    expect(done.flushed).toEqual([F]);
    expect(done.flushPrevious).toEqual({ [F]: "a" });
    expect(done.baseHashes[F]).toBe("h:b");
    expect(done.disk.get(F)).toEqual({ hash: "h:b", stat });
    expect(done.conflicts).toEqual([]);
  });

  it("a file changed on disk meanwhile: the file wins, the database edit goes to history", () => {
    const plan = planned();
    const current = { hash: "h:z", content: "z", stat };
    const done = applyFlush(plan, { [F]: "b", "tasks.md": "u" }, new Map(), [
      { file: F, kind: "changed_on_disk", current },
    ]);
    expect(done.conflicts).toEqual([F]);
    expect(done.imported).toEqual([F]);
    expect(done.previous).toEqual({ [F]: "b" });
    expect(done.files[F]).toBe("z");
    expect(done.baseHashes[F]).toBe("h:z");
    expect(done.flushed).toEqual([]);
    expect(actionOf(done.conflicts, live)).toBe("conflict");
  });

  it("a database deletion removes the file; one deleted on disk meanwhile is a conflict", () => {
    const plan = planFolder(disk({ [F]: "a" }), row({}, { [F]: "a" }));
    expect(plan.flush).toEqual([F]);
    const deleted = applyFlush(plan, {}, new Map([[F, { hash: "h:a", stat }]]), [
      { file: F, kind: "deleted", previous: "a" },
    ]);
    expect(deleted.flushed).toEqual([F]);
    expect(deleted.baseHashes).toEqual({});
    expect(deleted.disk.has(F)).toBe(false);
    const gone = applyFlush(plan, {}, new Map(), [
      { file: F, kind: "changed_on_disk", current: null },
    ]);
    expect(gone.conflicts).toEqual([F]);
    expect(gone.files).toEqual({});
    expect(gone.baseHashes).toEqual({});
  });

  it("a failed flush leaves the unwritten files pending and records the failure", () => {
    const plan = planFolder(
      disk({ [F]: "a", "tasks.md": "t2" }),
      row({ [F]: "b", "tasks.md": "t" }, { [F]: "a", "tasks.md": "t" }),
    );
    const done = applyFlush(plan, {}, new Map(), []);
    expect(pendingAfter(plan, done, null)).toEqual([]);
    expect(pendingAfter(plan, done, "proposal.md: EROFS")).toEqual([F]);
    const histories = historiesOf(plan, done, "proposal.md: EROFS", live, null);
    expect(histories.map((h) => [h.direction, h.action, h.filesChanged])).toEqual([
      ["fs_to_db", "updated", ["tasks.md"]],
      ["db_to_fs", "failed", [F]],
    ]);
  });
});

describe("a pending edit's failed write: one history entry per edit, not per attempt", () => {
  const plan = planFolder(disk({ [F]: "a" }), row({ [F]: "b" }, { [F]: "a" }));
  const open = { id: 41, filesChanged: [F], previousContent: { [F]: "a" }, error: "EACCES" };
  const written = (previous: string | null) =>
    applyFlush(plan, { [F]: "b" }, new Map(), [
      { file: F, kind: "written", hash: "h:b", stat, previous },
    ]);

  it("a retry that fails again updates the open failure with the newest error", () => {
    const done = applyFlush(plan, { [F]: "b" }, new Map(), []);
    const pending = { open, trigger: "periodic" };
    expect(historiesOf(plan, done, "EROFS", live, null, pending)).toEqual([
      {
        direction: "db_to_fs",
        action: "failed",
        success: false,
        error: "EROFS",
        filesChanged: [F],
        reuse: 41,
      },
    ]);
    // No open failure (or one of other files): a new entry, as before.
    expect(historiesOf(plan, done, "EROFS", live, null)[0]).not.toHaveProperty("reuse");
    const other = { open: { ...open, filesChanged: ["tasks.md"] }, trigger: "periodic" };
    expect(historiesOf(plan, done, "EROFS", live, null, other)[0]).not.toHaveProperty("reuse");
  });

  it("the flush that writes it closes the failure, keeping the disk version it replaced", () => {
    const pending = { open, trigger: "manual" };
    expect(historiesOf(plan, written("a"), null, live, null, pending)).toEqual([
      {
        direction: "db_to_fs",
        action: "flushed",
        success: true,
        error: null,
        note: "the first write failed (EACCES); written by a later sync (manual)",
        filesChanged: [F],
        previousContent: { [F]: "a" },
        reuse: 41,
      },
    ]);
  });

  it("a flush that replaced other bytes than the failure kept gets its own entry: both versions stay", () => {
    const [h] = historiesOf(plan, written("slipped in"), null, live, null, {
      open,
      trigger: "manual",
    });
    expect(h).toMatchObject({ action: "flushed", previousContent: { [F]: "slipped in" } });
    expect(h).not.toHaveProperty("reuse");
  });
});

describe("history and conflicts a reconcile records", () => {
  const times = {
    detectedAt: new Date("2026-01-02T00:00:00Z"),
    fsModifiedAt: null,
    dbModifiedAt: new Date(0),
  };

  it("a conflict keeps the database version in history, marked filesystem_wins", () => {
    const plan = planFolder(disk({ [F]: "b" }), row({ [F]: "c" }, { [F]: "a" }));
    const done = applyFlush(plan, {}, new Map(), []);
    const conflict = conflictOf(done.conflicts, null, times);
    expect(conflict).toEqual({
      files: [F],
      detectedAt: "2026-01-02T00:00:00.000Z",
      fsModifiedAt: null,
      dbModifiedAt: "1970-01-01T00:00:00.000Z",
      historyId: null,
    });
    const [h] = historiesOf(plan, done, null, live, conflict);
    expect(h).toMatchObject({
      direction: "fs_to_db",
      action: "conflict",
      previousContent: { [F]: "c" },
      conflict: { resolution: "filesystem_wins", automatic: true },
    });
  });

  it("an open conflict stays until resolved; a clean pass records no history", () => {
    const open = { ...conflictOf([F], null, times), historyId: 3 } as NonNullable<
      ReturnType<typeof conflictOf>
    >;
    expect(conflictOf([], open, times)).toBe(open);
    const plan = planFolder(disk({ [F]: "a" }), row({ [F]: "a" }, { [F]: "a" }));
    expect(isSettled(plan, live)).toBe(true);
    expect(historiesOf(plan, applyFlush(plan, {}, new Map(), []), null, live, null)).toEqual([]);
  });

  it("the same edit on both sides is adopted without history", () => {
    const plan = planFolder(disk({ [F]: "b" }), row({ [F]: "b" }, { [F]: "a" }));
    expect(isSettled(plan, live)).toBe(false);
    expect(historiesOf(plan, applyFlush(plan, {}, new Map(), []), null, live, null)).toEqual([]);
  });
});

describe("moves and deletions", () => {
  const r = (id: string, path: string, deletedAt: Date | null = null) => ({ id, path, deletedAt });

  it("a vanished folder of a live row is followed to archive/, else soft-deleted", () => {
    const archived = { path: "changes/archive/2026-01-01-x" };
    expect(planVanished(r("1", "changes/x"), "changes/x", archived)).toEqual({
      kind: "moved",
      to: archived,
    });
    expect(planVanished(r("1", "changes/x"), "changes/x", null)).toEqual({ kind: "deleted" });
    expect(planVanished(r("1", "changes/x"), "changes/x", { path: "changes/x" })).toEqual({
      kind: "deleted",
    });
    expect(planVanished(r("1", "changes/x", new Date()), "changes/x", archived)).toEqual({
      kind: "noop",
    });
    expect(planVanished(undefined, "changes/x", archived)).toEqual({ kind: "noop" });
  });

  it("a new folder takes over a row whose folder is gone: live first, then newest", () => {
    const c = (id: string, path: string, gone: boolean, deleted: boolean, t: number) => ({
      row: id,
      path,
      gone,
      deleted,
      updatedAt: new Date(t),
    });
    const target = "changes/archive/2026-01-01-x";
    expect(
      pickMoveSource(target, [
        c("a", "changes/x", true, true, 9),
        c("b", "changes/x2", true, false, 1),
      ]),
    ).toBe("b");
    expect(
      pickMoveSource(target, [
        c("a", "changes/x", true, false, 1),
        c("b", "changes/y", true, false, 5),
      ]),
    ).toBe("b");
    // A row whose folder still exists, or the row at the target itself, is no move source.
    expect(
      pickMoveSource(target, [
        c("a", "changes/x", false, false, 1),
        c("t", target, true, false, 1),
      ]),
    ).toBeUndefined();
  });

  it("a move keeps the row; a deleted row in the way is set aside, never dropped", () => {
    const here = r("deadbeef-1234", "changes/x", new Date());
    const source = r("cafe", "changes/archive/2026-01-01-x");
    expect(planArrival(here, source)).toEqual({ row: source, moved: true, setAside: here });
    expect(asidePath(here)).toBe("changes/x~deleted-deadbeef");
    expect(planArrival(undefined, source)).toEqual({ row: source, moved: true, setAside: null });
    // A deleted source only revives a folder that has no row at all.
    const deletedSource = r("cafe", "changes/y", new Date());
    expect(planArrival(here, deletedSource)).toEqual({ row: here, moved: false, setAside: null });
    expect(planArrival(undefined, deletedSource)).toEqual({
      row: deletedSource,
      moved: true,
      setAside: null,
    });
    const liveHere = r("1", "changes/x");
    expect(planArrival(liveHere, source)).toEqual({ row: liveHere, moved: false, setAside: null });
  });

  it("actions: moved to archive/ is archived, a revived row created; a move has history", () => {
    expect(actionOf([], { ...live, moved: true, archivedNow: true })).toBe("archived");
    expect(actionOf([], { ...live, moved: true, archivedNow: false })).toBe("updated");
    expect(actionOf([], { ...live, deleted: true })).toBe("created");
    expect(actionOf([], live)).toBe("updated");
    const plan = planFolder(disk({ [F]: "a" }), row({ [F]: "a" }, { [F]: "a" }));
    const moved = { ...live, moved: true, archivedNow: true };
    expect(isSettled(plan, moved)).toBe(false);
    const [h] = historiesOf(plan, applyFlush(plan, {}, new Map(), []), null, moved, null);
    expect(h).toMatchObject({ direction: "fs_to_db", action: "archived", filesChanged: [] });
  });
});
