import { STATUS_LABEL } from "./utils";

type Entry = {
  action: string;
  direction: string;
  trigger: string;
  filesChanged: string[];
  actor?: string | null;
  lifecycle?: { field: "status" | "priority"; from: string; to: string } | null;
  /** What a lifecycle action did, in words ("openspec validate --strict: 2 errors"). */
  note?: string | null;
};

const USER_EDIT = "edited in specsync";
const WHY: Record<string, string> = {
  file_watcher: "saved on disk (file watcher)",
  periodic: "found by the periodic check",
  user_edit: USER_EDIT,
  manual: "manual sync",
  startup: "found at server start",
  conflict_resolution: "conflict resolved",
  restore: "restored from history",
  git: "the git checkout moved",
  lifecycle: "run through the OpenSpec CLI",
};

/**
 * A write to disk that a sync made of an edit already in the database (pending: the file could not
 * be written at save time). "saved on disk (file watcher)" would say somebody saved the file.
 */
const PENDING_WHY: Record<string, string> = {
  file_watcher: "a pending edit, written when the folder was next synced",
  periodic: "a pending edit, written by the periodic check",
  startup: "a pending edit, written at server start",
  manual: "a pending edit, written by a manual sync",
  git: "a pending edit, written after the git checkout moved",
};

/** One line for a history entry: what happened, and why (its trigger). */
export function describeEntry(h: Entry): { what: string; why: string } {
  const pending = h.direction === "db_to_fs" ? PENDING_WHY[h.trigger] : undefined;
  const why = pending ?? WHY[h.trigger] ?? h.trigger.replace("_", " ");
  const label = (v: string) => (h.lifecycle?.field === "status" ? (STATUS_LABEL[v] ?? v) : v);
  if (h.lifecycle)
    return {
      what: `${h.lifecycle.field === "status" ? "Status" : "Priority"}: ${label(h.lifecycle.from)} → ${label(h.lifecycle.to)}`,
      why: USER_EDIT,
    };
  // new / validate / archive: the CLI run in words (a status or priority edit has its structured
  // value above).
  if (h.trigger === "lifecycle" && h.note) return { what: h.note, why };
  if (h.action === "checked") return { what: "Synced: nothing had changed", why };
  // A saved edit that never reached the disk (its write failed), replaced by a newer save: kept.
  if (h.action === "draft_discarded" && h.direction === "db_to_fs")
    return {
      what: `An edit of ${h.filesChanged.join(", ")} that never reached the disk, replaced by a newer save`,
      why: `${h.actor ? `saved by ${h.actor}; ` : ""}that edit is kept here`,
    };
  // The person chose the disk version over their unsaved text; that text is kept here, restorable.
  if (h.action === "draft_discarded")
    return {
      what: `Unsaved draft of ${h.filesChanged.join(", ")} discarded by ${h.actor ?? "someone"}`,
      why: "the version on disk was kept; the draft is kept here",
    };
  const files = h.filesChanged.join(", ");
  if (h.action === "failed")
    return {
      what:
        h.direction === "db_to_fs"
          ? `could not write ${files || "the change"} to disk; the edit is kept in the database`
          : `could not read ${files || "the folder"} from disk`,
      why,
    };
  // The server stopped between a save's commit and its file write; the replaced version is here.
  if (h.action === "writing")
    return {
      what: `${files} saved; the write to disk was interrupted`,
      why: `${why}; the version on disk before the save is kept here`,
    };
  // One entry per edit: a write that failed and was done later (by a sync or a new save) says
  // both, the version the disk had before is kept here.
  if (h.direction === "db_to_fs" && h.action === "flushed" && h.note)
    return { what: `${files} written to disk after a failed write`, why: `${why}; ${h.note}` };
  const where = h.direction === "fs_to_db" ? "read from disk" : "written to disk";
  return { what: files ? `${files} ${where}` : where, why };
}
