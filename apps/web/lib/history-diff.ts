import { diffLines } from "diff";

type Entry = { id: number; action?: string; previousContent: Record<string, string | null> | null };
export type FileChange = {
  file: string;
  before: string | null;
  after: string | null;
  added: number;
  removed: number;
  lines: { kind: "add" | "del" | "same" | "gap"; text: string }[];
  /**
   * The text the entry's restore button brings back (null: nothing to restore, the file did
   * not exist).
   */
  restorable: string | null;
  /** A discarded draft: `before` is the disk version that was kept, `after` the draft. */
  draft?: true;
};

/**
 * What each history entry changed, file by file. An entry keeps the version it replaced; the
 * version it produced is the one the next newer entry of that file replaced, or the current file
 * for the newest. A `draft_discarded` entry keeps text that never reached the disk: it is shown
 * against the disk version kept at that moment (what the person would have changed), and is no link
 * in the chain of disk versions, nor is a failed write. `entries` are newest first (as the API lists
 * them).
 */
export function historyChanges(
  entries: readonly Entry[],
  current: Record<string, string | undefined>,
): Map<number, FileChange[]> {
  const after = new Map<string, string | null>(
    Object.entries(current).map(([f, c]) => [f, c ?? null]),
  );
  const out = new Map<number, FileChange[]>();
  for (const e of entries) {
    // A failed write changed no file: no diff, nothing to restore, no link in the chain (its
    // entry may still keep the disk version, in case the failure came after the rename).
    if (e.action === "failed") {
      out.set(e.id, []);
      continue;
    }
    const changes: FileChange[] = [];
    for (const [file, kept] of Object.entries(e.previousContent ?? {})) {
      const produced = after.get(file) ?? null;
      if (e.action === "draft_discarded") {
        changes.push({ ...fileChange(file, produced, kept), restorable: kept, draft: true });
        continue;
      }
      changes.push(fileChange(file, kept, produced));
      after.set(file, kept);
    }
    out.set(e.id, changes);
  }
  return out;
}

/** A unified line diff with 2 lines of context around each change. */
export function fileChange(
  file: string,
  before: string | null,
  after: string | null,
  context = 2,
): FileChange {
  const parts = diffLines(before ?? "", after ?? "");
  const all: { kind: "add" | "del" | "same"; text: string }[] = [];
  for (const p of parts)
    for (const text of p.value.replace(/\n$/, "").split("\n"))
      all.push({ kind: p.added ? "add" : p.removed ? "del" : "same", text });
  const keep = all.map(
    (l, i) =>
      l.kind !== "same" ||
      all.slice(Math.max(0, i - context), i + context + 1).some((n) => n.kind !== "same"),
  );
  const lines: FileChange["lines"] = [];
  all.forEach((l, i) => {
    if (keep[i]) lines.push(l);
    else if (lines[lines.length - 1]?.kind !== "gap") lines.push({ kind: "gap", text: "…" });
  });
  return {
    file,
    before,
    after,
    added: all.filter((l) => l.kind === "add").length,
    removed: all.filter((l) => l.kind === "del").length,
    lines,
    restorable: before,
  };
}
