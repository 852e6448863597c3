import {
  type DiscardDraftInput,
  MAX_CONTENT_BYTES,
  type ToggleTaskInput,
  type UpdateFileInput,
} from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";
import { isTrackedFile } from "../utils/fs/scan-workspace";
import { KeyedMutex } from "../utils/keyed-mutex";
import { carryLine, parseTasks, setTaskBox } from "../utils/openspec";
import { present } from "../utils/present";
import { type ConflictRegion, mergeThreeWay } from "../utils/three-way-merge";
import type { HistoryService } from "./history-service";
import type { OpenSpecSyncService } from "./openspec-sync-service";
import { filesOfRow } from "./spec-files";
import type { EditRow } from "./sync/types";
import type { SyncEventBus } from "./sync-events";

/**
 * What a save did: written as sent, written merged with edits made since the base, or nothing to
 * do.
 */
export type SaveOutcome = "saved" | "merged" | "unchanged";
export type SaveResult = {
  id: string;
  file: string;
  hash: string;
  contentHashes: Record<string, string>;
  outcome: SaveOutcome;
  content: string;
};

/** The merge of an edit with the current version, without writing anything. */
export type MergePreview =
  | {
      clean: true;
      text: string;
      currentHash: string | null;
      currentContent: string | null;
      changed: boolean;
    }
  | {
      clean: false;
      text: string;
      conflicts: ConflictRegion[];
      currentHash: string | null;
      currentContent: string | null;
      changed: true;
    };

/**
 * A few retries: each one follows a real write by someone else (the disk, another user), never a
 * spin.
 */
const ATTEMPTS = 4;

/** `mergeStale: false` (MCP update_file): a stale baseHash is a CONFLICT, never a silent merge. */
export type SaveOptions = { mergeStale?: boolean };

/**
 * An agent must learn that its view was stale: the file as it is now, to merge into and retry
 * with. Sending exactly the current text is no edit of anything it did not see.
 */
function refuseStale(row: EditRow, input: UpdateFileInput) {
  const currentHash = row.contentHashes[input.file] ?? null;
  const currentContent = filesOfRow(row)[input.file] ?? null;
  if (currentHash === input.baseHash || currentContent === input.content) return;
  if (currentContent === null)
    throw new SpecsyncError(
      "CONFLICT",
      `${input.file} does not exist now (baseHash ${input.baseHash} is not its current version); send baseHash null to create it`,
      { currentContent, currentHash },
    );
  throw new SpecsyncError(
    "CONFLICT",
    `${input.file} changed since the version you read (baseHash ${input.baseHash}): nothing was written; merge your edit into currentContent and retry with currentHash`,
    { currentContent, currentHash },
  );
}

type MergeInput = Pick<UpdateFileInput, "id" | "file" | "content" | "baseHash">;

const isConflict = (err: unknown): err is SpecsyncError =>
  err instanceof SpecsyncError && err.code === "CONFLICT";

/**
 * Edits made by people: saves merge with whatever changed since the version they started from
 * (three-way, node-diff3), task toggles are operations on one task, and text a person discards is
 * kept.
 */
export class FileEditService {
  /**
   * People's edits of one file are merged one at a time in this process, so concurrent clicks and
   * saves never race each other into retries; the sync engine's compare-and-set still guards other
   * servers.
   */
  private readonly lock = new KeyedMutex();

  constructor(
    private readonly sync: OpenSpecSyncService,
    private readonly history: HistoryService,
    private readonly events: SyncEventBus,
  ) {}

  /** The content of a file at `hash`: the current row, else a version kept in history. */
  private async versionOf(
    row: { id: string; contentHashes: Record<string, string> },
    files: Record<string, string>,
    file: string,
    hash: string | null,
  ): Promise<string | undefined> {
    if (hash === null) return "";
    if (row.contentHashes[file] === hash) return files[file];
    return this.history.versionOf(row.id, file, hash);
  }

  /** Three-way merge of `content` (made on `baseHash`) with the current version. Writes nothing. */
  async preview(input: MergeInput): Promise<MergePreview> {
    return this.previewOn(await this.sync.getRow(input.id), input);
  }

  private async previewOn(row: EditRow, input: MergeInput): Promise<MergePreview> {
    const files = filesOfRow(row);
    const currentHash = row.contentHashes[input.file] ?? null;
    const currentContent = files[input.file] ?? null;
    if (currentHash === input.baseHash)
      return { clean: true, text: input.content, currentHash, currentContent, changed: false };
    const known = await this.versionOf(row, files, input.file, input.baseHash);
    // An edit of a file that does not exist, on a version never seen: creating it would pass a
    // made-up hash off as a merge.
    if (known === undefined && currentContent === null)
      throw new SpecsyncError(
        "CONFLICT",
        `${input.file} does not exist and ${input.baseHash} is no version of it; ` +
          "send baseHash null to create it",
        { currentContent: null, currentHash: null },
      );
    // A base no longer known merges against nothing: every difference becomes a conflict for the
    // person to settle.
    const base = known ?? "";
    const merged = mergeThreeWay(base, currentContent ?? "", input.content);
    return merged.clean
      ? { clean: true, text: merged.text, currentHash, currentContent, changed: true }
      : { ...merged, currentHash, currentContent, changed: true };
  }

  /**
   * Save a person's text made on `baseHash`. Unchanged since → written as is; changed on other
   * lines → merged and written; overlapping edits → CONFLICT carrying the merged text with its
   * conflict regions.
   */
  async save(input: UpdateFileInput, opts: SaveOptions = {}): Promise<SaveResult> {
    return this.lock.run(`${input.id}\0${input.file}`, () => this.saveLocked(input, opts));
  }

  private async saveLocked(input: UpdateFileInput, opts: SaveOptions): Promise<SaveResult> {
    for (let attempt = 1; ; attempt++) {
      // The merge is made on the row the write reads under its lock: one read per save.
      let merged: MergePreview | undefined;
      const resolve = async (row: EditRow) => {
        if (opts.mergeStale === false) refuseStale(row, input);
        const p = await this.previewOn(row, input);
        merged = p;
        if (!p.clean) {
          throw new SpecsyncError(
            "CONFLICT",
            `${input.file} was changed since you loaded it, on the lines you edited`,
            {
              currentContent: p.currentContent,
              currentHash: p.currentHash,
              merged: p.text,
              conflicts: p.conflicts,
            },
          );
        }
        return { content: p.text, baseHash: p.currentHash };
      };
      try {
        const { row, hash, historyId } = await this.sync.writeFile({
          id: input.id,
          file: input.file,
          content: input.content,
          baseHash: input.baseHash,
          actor: input.actor,
          resolve,
        });
        const p = present(merged, "the merge the write resolved");
        const outcome: SaveOutcome =
          historyId === null ? "unchanged" : p.changed ? "merged" : "saved";
        return {
          id: row.id,
          file: input.file,
          hash,
          contentHashes: row.contentHashes,
          outcome,
          content: p.text,
        };
      } catch (err) {
        // The file changed on disk (now imported) or another save won the race: merge again with
        // that. Overlapping edits (a merge with conflicts) are the person's to settle.
        if (isConflict(err) && merged?.clean && attempt < ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /**
   * Keep the text a person chose not to save, as a history entry ("draft discarded by
   * <actor>"), restorable.
   */
  async discardDraft(input: DiscardDraftInput): Promise<{ historyId: number }> {
    const bytes = Buffer.byteLength(input.content, "utf8");
    if (bytes > MAX_CONTENT_BYTES)
      throw new SpecsyncError(
        "PAYLOAD_TOO_LARGE",
        `content is ${bytes} bytes; the limit is ${MAX_CONTENT_BYTES}`,
      );
    if (input.content.includes("\0"))
      throw new SpecsyncError("BAD_REQUEST", "content must be text: it contains a NUL byte");
    // A change removed on disk too: the text typed into it is kept, recoverable from history.
    const row = await this.sync.getRow(input.id, true);
    // Only a file that could be restored later: the same rule as saving it.
    if (!isTrackedFile(row.kind, input.file))
      throw new SpecsyncError(
        "BAD_REQUEST",
        `${input.file} is not an editable file of a ${row.kind}`,
      );
    const h = await this.history.record({
      specId: row.id,
      projectId: row.projectId,
      name: row.name,
      direction: "fs_to_db",
      trigger: "user_edit",
      action: "draft_discarded",
      success: true,
      filesChanged: [input.file],
      previousContent: { [input.file]: input.content },
      actor: input.actor ?? null,
      durationMs: 0,
    });
    this.events.publish(
      { type: "spec_changed", projectId: row.projectId, specId: row.id, name: row.name },
      h.id,
    );
    return { historyId: h.id };
  }

  /**
   * Tick or untick task T (by its stable id) in the current tasks.md: exactly one character
   * changes. Applied as long as T's own line is what it was in the version the click was made on
   * (`baseHash`); edits to other lines since then, by the disk or earlier clicks, are kept. Only a
   * change to T's line is a CONFLICT.
   */
  async toggleTask(input: ToggleTaskInput): Promise<SaveResult> {
    return this.lock.run(`${input.id}\0tasks.md`, () => this.toggleTaskLocked(input));
  }

  private async toggleTaskLocked(input: ToggleTaskInput): Promise<SaveResult> {
    for (let attempt = 1; ; attempt++) {
      // Decided on the row the write reads under its lock (held across servers too): a toggle
      // never loses a race to another server's toggle of another task.
      let toggled: Awaited<ReturnType<FileEditService["toggledOn"]>> | undefined;
      const resolve = async (row: EditRow) => {
        toggled = await this.toggledOn(row, input);
        return { content: toggled.next, baseHash: row.contentHashes["tasks.md"] ?? null };
      };
      try {
        const { row, hash } = await this.sync.writeFile({
          id: input.id,
          file: "tasks.md",
          content: "",
          baseHash: input.baseHash,
          actor: input.actor,
          resolve,
        });
        const t = present(toggled, "the toggle the write resolved");
        const outcome: SaveOutcome =
          t.next === t.current
            ? "unchanged"
            : t.currentHash === input.baseHash
              ? "saved"
              : "merged";
        return {
          id: row.id,
          file: "tasks.md",
          hash,
          contentHashes: row.contentHashes,
          outcome,
          content: t.next,
        };
      } catch (err) {
        // The file changed on disk (now imported) between the read and the write: toggle again
        // on that version. A change to the task's own line is the person's to settle.
        if (isConflict(err) && toggled && attempt < ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /**
   * The toggled tasks.md for this row. With a base older than the row, the id is resolved in the
   * base (ids of repeated task texts shift when one is added) and its line carried onto the
   * current file; a CONFLICT when that line changed or cannot be placed unambiguously.
   */
  private async toggledOn(row: EditRow, input: ToggleTaskInput) {
    if (row.kind !== "change") throw new SpecsyncError("BAD_REQUEST", "only changes have tasks");
    const files = filesOfRow(row);
    const current = files["tasks.md"];
    const currentHash = row.contentHashes["tasks.md"];
    if (!currentHash || current === undefined)
      throw new SpecsyncError("NOT_FOUND", "this change has no tasks.md");
    const tasks = parseTasks(current);
    let task = tasks.find((t) => t.id === input.taskId);
    if (currentHash !== input.baseHash) {
      const base = await this.versionOf(row, files, "tasks.md", input.baseHash);
      const before =
        base === undefined ? undefined : parseTasks(base).find((t) => t.id === input.taskId);
      if (!task && !before)
        throw new SpecsyncError("NOT_FOUND", `task ${input.taskId} not found in tasks.md`);
      const line = base === undefined || !before ? null : carryLine(base, current, before.line);
      task = line === null ? undefined : tasks.find((t) => t.line === line);
      if (!task || task.text !== before?.text) {
        throw new SpecsyncError(
          "CONFLICT",
          `task ${input.taskId} was changed since you loaded it`,
          {
            currentContent: current,
            currentHash,
          },
        );
      }
    }
    if (!task) throw new SpecsyncError("NOT_FOUND", `task ${input.taskId} not found in tasks.md`);
    const next = setTaskBox(current, task, input.done);
    return { current, currentHash, next };
  }
}
