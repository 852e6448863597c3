import { z } from "zod";

/** Lifecycle status: lives only in the database, never in the files. */
export const LIFECYCLE_STATUSES = [
  "proposing",
  "approved",
  "assigned",
  "in_progress",
  "review",
  "applied",
  "archived",
] as const;
export const lifecycleStatusSchema = z.enum(LIFECYCLE_STATUSES);
export type LifecycleStatus = z.infer<typeof lifecycleStatusSchema>;

/**
 * Statuses a person picks freely; "archived" is reached only by an archive (the action, or a
 * move on disk).
 */
export type PickableStatus = Exclude<LifecycleStatus, "archived">;
export const PICKABLE_STATUSES: readonly PickableStatus[] = LIFECYCLE_STATUSES.filter(
  (s): s is PickableStatus => s !== "archived",
);

/**
 * Transitions a user may make: any workflow status to any other (the board moves cards freely), and
 * to "archived" only by running the archive (choosing it runs `openspec archive`). An archived
 * change stays archived.
 */
export const STATUS_TRANSITIONS: Record<LifecycleStatus, readonly LifecycleStatus[]> =
  Object.fromEntries(
    LIFECYCLE_STATUSES.map((from) => [
      from,
      from === "archived" ? [] : LIFECYCLE_STATUSES.filter((to) => to !== from),
    ]),
  ) as unknown as Record<LifecycleStatus, readonly LifecycleStatus[]>;

/**
 * Where a change is, derived from its files only (as `openspec view` groups them): no tasks yet
 * (draft), tasks open (in progress), every task done (complete), moved under archive/ (archived).
 * Never set by hand.
 */
export const CHANGE_STAGES = ["draft", "in_progress", "complete", "archived"] as const;
export const changeStageSchema = z.enum(CHANGE_STAGES);
export type ChangeStage = z.infer<typeof changeStageSchema>;

export const PRIORITIES = ["critical", "high", "medium", "low", "none"] as const;
export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;
/** Sort rank of a priority: lower sorts first. */
export const PRIORITY_RANK: Record<Priority, number> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  none: 4,
};

export const SPEC_KINDS = ["change", "spec"] as const;
export const specKindSchema = z.enum(SPEC_KINDS);
export type SpecKind = z.infer<typeof specKindSchema>;

export const SYNC_DIRECTIONS = ["fs_to_db", "db_to_fs"] as const;
export const syncDirectionSchema = z.enum(SYNC_DIRECTIONS);
export type SyncDirection = z.infer<typeof syncDirectionSchema>;

/**
 * `git`: the repository's HEAD, index or branch moved (checkout, pull, stash, rebase, reset).
 * `lifecycle`: an OpenSpec CLI run (new, validate, archive).
 */
export const SYNC_TRIGGERS = [
  "file_watcher",
  "periodic",
  "user_edit",
  "manual",
  "startup",
  "conflict_resolution",
  "restore",
  "git",
  "lifecycle",
] as const;
export const syncTriggerSchema = z.enum(SYNC_TRIGGERS);
export type SyncTrigger = z.infer<typeof syncTriggerSchema>;

/**
 * What a sync did to the row; `noop` operations write no history row. `status_changed` and
 * `priority_changed` record lifecycle edits (database only); `checked` records a manual sync that
 * found nothing to do, so the person who asked for it sees it in the history. `draft_discarded`: a
 * person chose the disk version over their unsaved text; that text is kept in the entry.
 * `validated`: an `openspec validate` run on a change. `writing`: a save committed to the database
 * whose file write is not confirmed yet; it becomes `flushed`/`restored` (or `failed`) once the
 * write is done. Left as `writing` only if the server stopped in between; its entry keeps the disk
 * version the save was about to replace.
 */
export const SYNC_ACTIONS = [
  "created",
  "updated",
  "flushed",
  "archived",
  "deleted",
  "restored",
  "conflict",
  "failed",
  "validated",
  "status_changed",
  "priority_changed",
  "checked",
  "draft_discarded",
  "writing",
] as const;
export const syncActionSchema = z.enum(SYNC_ACTIONS);
export type SyncAction = z.infer<typeof syncActionSchema>;

export const CONFLICT_RESOLUTIONS = ["filesystem_wins", "db_wins"] as const;
export const conflictResolutionSchema = z.enum(CONFLICT_RESOLUTIONS);
export type ConflictResolution = z.infer<typeof conflictResolutionSchema>;
