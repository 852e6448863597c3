// Pure helpers of the web app: the URL → list input mapping (malformed values fall back to
// defaults), readable addresses, and what each history entry changed.
import { describe, expect, it } from "vitest";
import { historyChanges } from "../lib/history-diff";
import { describeEntry } from "../lib/history-labels";
import { specHref } from "../lib/hrefs";
import { changesListInput, changesView, lastPage } from "../lib/view-input";

const view = (q: Record<string, string>) => changesView((k) => q[k]);

describe("changesView", () => {
  it("falls back to defaults for malformed parameters", () => {
    expect(
      view({
        page: "abc",
        status: "bogus",
        priority: "7",
        sort: "zzz",
        min: "-5",
        project: "nope",
        archived: "maybe",
      }),
    ).toEqual({
      page: 0,
      archived: "active",
      projectId: undefined,
      status: undefined,
      priority: undefined,
      min: undefined,
      q: undefined,
      sort: "updated",
      invalid: false,
      claimed: undefined,
    });
  });
  it("keeps valid ones and builds the exact list input", () => {
    const v = view({ page: "3", status: "approved", sort: "name", archived: "all", q: " x " });
    expect(changesListInput(v)).toMatchObject({
      status: ["approved"],
      sort: "name",
      archived: undefined,
      search: "x",
      cursor: 100,
      limit: 50,
    });
    expect([lastPage(0), lastPage(50), lastPage(51), lastPage(106)]).toEqual([0, 0, 1, 2]);
  });
});

describe("specHref", () => {
  const projects = [
    { id: "p1", name: "My Repo" },
    { id: "p2", name: "other" },
    { id: "p3", name: "Other" },
  ];
  const spec = {
    id: "s",
    projectId: "p1",
    kind: "change",
    name: "add-x",
    path: "changes/add-x",
    archived: false,
  };
  it("builds readable addresses; archived changes by folder; shared slugs fall back to the id", () => {
    expect(specHref(spec, projects)).toBe("/p/my-repo/changes/add-x");
    expect(
      specHref(
        { ...spec, archived: true, path: "changes/archive/2025-01-02-add-x" },
        projects,
        "?tab=history",
      ),
    ).toBe("/p/my-repo/changes/2025-01-02-add-x?tab=history");
    expect(
      specHref({ ...spec, kind: "spec", name: "cli/init", path: "specs/cli/init" }, projects),
    ).toBe("/p/my-repo/specs/cli/init");
    expect(specHref({ ...spec, projectId: "p2" }, projects)).toBe("/p/p2/changes/add-x");
    expect(specHref(spec, undefined)).toBe("/changes/s");
  });
});

describe("historyChanges", () => {
  it("a failed write shows no diff and no restore, and is no link in the chain", () => {
    const entries = [
      { id: 3, action: "flushed", previousContent: { "a.md": "one\n" } },
      { id: 2, action: "failed", previousContent: { "a.md": "one\n" } },
      { id: 1, action: "updated", previousContent: { "a.md": "zero\n" } },
    ];
    const changes = historyChanges(entries, { "a.md": "two\n" });
    expect(changes.get(2)).toEqual([]);
    expect(changes.get(3)?.[0]).toMatchObject({ before: "one\n", after: "two\n" });
    expect(changes.get(1)?.[0]).toMatchObject({ before: "zero\n", after: "one\n" });
  });

  it("diffs each entry against the version it produced (the next entry's previous content, or the current file)", () => {
    const entries = [
      { id: 3, previousContent: { "a.md": "one\ntwo\n" } },
      { id: 2, previousContent: null },
      { id: 1, previousContent: { "a.md": "one\n" } },
    ];
    const changes = historyChanges(entries, { "a.md": "one\ntwo\nthree\n" });
    expect(changes.get(3)![0]).toMatchObject({
      before: "one\ntwo\n",
      after: "one\ntwo\nthree\n",
      added: 1,
      removed: 0,
    });
    expect(changes.get(1)![0]).toMatchObject({
      before: "one\n",
      after: "one\ntwo\n",
      added: 1,
      removed: 0,
    });
    expect(changes.get(2)).toEqual([]);
  });
  it("shows a discarded draft against the disk version kept, restorable, without breaking the chain of disk versions", () => {
    const entries = [
      { id: 3, action: "draft_discarded", previousContent: { "a.md": "one\nmine\n" } },
      { id: 2, action: "updated", previousContent: { "a.md": "one\n" } },
    ];
    const changes = historyChanges(entries, { "a.md": "one\ndisk\n" });
    expect(changes.get(3)![0]).toMatchObject({
      before: "one\ndisk\n",
      after: "one\nmine\n",
      added: 1,
      removed: 1,
      restorable: "one\nmine\n",
      draft: true,
    });
    // The disk edit before it still shows what the disk got, not the draft.
    expect(changes.get(2)![0]).toMatchObject({
      before: "one\n",
      after: "one\ndisk\n",
      restorable: "one\n",
    });
  });
});

describe("describeEntry", () => {
  it("says in words who discarded which draft", () => {
    const d = describeEntry({
      action: "draft_discarded",
      direction: "fs_to_db",
      trigger: "user_edit",
      filesChanged: ["proposal.md"],
      actor: "web",
    });
    expect(d.what).toBe("Unsaved draft of proposal.md discarded by web");
    expect(d.why).toContain("kept");
  });
  it("says a saved edit that never reached the disk was replaced by a newer save, and is kept", () => {
    const d = describeEntry({
      action: "draft_discarded",
      direction: "db_to_fs",
      trigger: "user_edit",
      filesChanged: ["proposal.md"],
      actor: "ada",
    });
    expect(d.what).toBe(
      "An edit of proposal.md that never reached the disk, replaced by a newer save",
    );
    expect(d.why).toBe("saved by ada; that edit is kept here");
  });
  it("says a failed write failed (not 'written to disk'), and names a pending edit's later write", () => {
    const failed = describeEntry({
      action: "failed",
      direction: "db_to_fs",
      trigger: "user_edit",
      filesChanged: ["proposal.md"],
    });
    expect(failed.what).toBe(
      "could not write proposal.md to disk; the edit is kept in the database",
    );
    const retried = describeEntry({
      action: "flushed",
      direction: "db_to_fs",
      trigger: "periodic",
      filesChanged: ["proposal.md"],
    });
    expect(retried).toEqual({
      what: "proposal.md written to disk",
      why: "a pending edit, written by the periodic check",
    });
    expect(
      describeEntry({
        action: "failed",
        direction: "fs_to_db",
        trigger: "periodic",
        filesChanged: ["design.md"],
      }).what,
    ).toBe("could not read design.md from disk");
  });
  it("says a failed write done later in one entry: written after a failed write, and why", () => {
    const d = describeEntry({
      action: "flushed",
      direction: "db_to_fs",
      trigger: "user_edit",
      filesChanged: ["tasks.md"],
      note: "the first write failed (could not write tasks.md: EACCES); written by a later sync (manual)",
    });
    expect(d).toEqual({
      what: "tasks.md written to disk after a failed write",
      why: "edited in specsync; the first write failed (could not write tasks.md: EACCES); written by a later sync (manual)",
    });
    // A plain flush of a pending edit (no failure recorded on it) reads as before.
    expect(
      describeEntry({
        action: "flushed",
        direction: "db_to_fs",
        trigger: "manual",
        filesChanged: ["tasks.md"],
      }).what,
    ).toBe("tasks.md written to disk");
  });
  it("says a save's write was interrupted, and that the version before it is kept", () => {
    const d = describeEntry({
      action: "writing",
      direction: "db_to_fs",
      trigger: "user_edit",
      filesChanged: ["tasks.md"],
    });
    expect(d.what).toBe("tasks.md saved; the write to disk was interrupted");
    expect(d.why).toBe("edited in specsync; the version on disk before the save is kept here");
  });
});
