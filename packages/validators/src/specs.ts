import { z } from "zod";
import { fileContentSchema, hashSchema } from "./content";
import { changeStageSchema, lifecycleStatusSchema, prioritySchema, specKindSchema } from "./enums";
import { relFilePathSchema, rowIdSchema } from "./ids";
import { nameText, storableText } from "./text";

export const LIST_SORTS = [
  "priority",
  "status",
  "updated",
  "name",
  "completion",
  "created",
] as const;
export const listSortSchema = z.enum(LIST_SORTS);

/** The sort key of a list row: priority rank, name, row id (the priority sort's order). */
export const listAfterSchema = z.object({
  rank: z.number().int().min(0).max(100),
  name: z.string().max(1000),
  id: z.uuid(),
});
export type ListAfter = z.infer<typeof listAfterSchema>;

export const listSpecsInputSchema = z.object({
  projectId: rowIdSchema.optional(),
  kind: specKindSchema.optional(),
  status: z.array(lifecycleStatusSchema).max(10).optional(),
  priority: z.array(prioritySchema).max(10).optional(),
  archived: z.boolean().optional(),
  /** Stage derived from the files (changes only). */
  stage: z.array(changeStageSchema).max(4).optional(),
  /** Only changes whose last validation found errors. */
  hasValidationErrors: z.boolean().optional(),
  minCompletion: z.number().min(0).max(100).optional(),
  maxCompletion: z.number().min(0).max(100).optional(),
  search: storableText(z.string().trim().max(200)).optional(),
  /** true: only changes someone holds a live claim on; false: only unclaimed ones. */
  claimed: z.boolean().optional(),
  /** Only changes this owner holds a live claim on. */
  claimedBy: storableText(z.string().trim().min(1).max(200)).optional(),
  sort: listSortSchema.default("updated"),
  order: z.enum(["asc", "desc"]).optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** Offset cursor returned by the previous page. */
  cursor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  /**
   * Keyset cursor (`nextAfter` of the previous page): rows after this sort key, for sort
   * `priority` ascending. Unlike an offset, a row whose priority changes between pages is not
   * skipped or repeated for the rows around it.
   */
  after: listAfterSchema.optional(),
  withFacets: z.boolean().default(false),
});
export type ListSpecsInput = z.input<typeof listSpecsInputSchema>;

/**
 * A file that can be edited: proposal, tasks, design, the main spec, or a delta spec
 * (`specs/<cap>/spec.md`).
 */
export const editableFileSchema = relFilePathSchema;

export const updateFileInputSchema = z.object({
  id: rowIdSchema,
  file: editableFileSchema,
  content: fileContentSchema,
  /** Hash of the version the user edited; null when creating a file that did not exist. */
  baseHash: hashSchema.nullable(),
  actor: nameText(z.string().max(200)).optional(),
});
export type UpdateFileInput = z.infer<typeof updateFileInputSchema>;

/** Text a person chose not to save ("keep disk"): kept in history, restorable like any version. */
export const discardDraftInputSchema = z.object({
  id: rowIdSchema,
  file: editableFileSchema,
  content: fileContentSchema,
  baseHash: hashSchema.nullable(),
  actor: nameText(z.string().max(200)).optional(),
});
export type DiscardDraftInput = z.infer<typeof discardDraftInputSchema>;

export const toggleTaskInputSchema = z.object({
  id: rowIdSchema,
  taskId: storableText(z.string().min(1).max(200)),
  done: z.boolean(),
  /**
   * The version of tasks.md the click was made on: the toggle applies while the task's own
   * line is unchanged since.
   */
  baseHash: hashSchema,
  actor: nameText(z.string().max(200)).optional(),
});
export type ToggleTaskInput = z.infer<typeof toggleTaskInputSchema>;

export const setStatusInputSchema = z.object({
  id: rowIdSchema,
  status: lifecycleStatusSchema,
  actor: nameText(z.string().trim().min(1).max(200)).optional(),
});
export type SetStatusInput = z.input<typeof setStatusInputSchema>;

export const setPriorityInputSchema = z.object({
  id: rowIdSchema,
  priority: prioritySchema,
  actor: nameText(z.string().max(200)).optional(),
});
export type SetPriorityInput = z.infer<typeof setPriorityInputSchema>;

export const nextWorkInputSchema = z.object({ projectId: rowIdSchema.optional() });

/** A readable address: `/p/<project>/changes/<name>` or `/p/<project>/specs/<capability>`. */
export const lookupInputSchema = z.object({
  /** Project slug, name or id. */
  project: storableText(z.string().trim().min(1).max(200)),
  kind: specKindSchema,
  /**
   * Change id (an archived one by its folder name, `2025-01-01-add-x`) or capability id: a folder
   * name as synced, so any text (`café-menu`, `添加-搜索`); only compared with stored paths.
   */
  name: storableText(z.string().min(1).max(300)).refine(
    (s) =>
      s.split("/").every((seg) => seg !== "" && seg !== "." && seg !== ".." && !seg.includes("\\")),
    "not a change or capability id",
  ),
});
export type LookupInput = z.infer<typeof lookupInputSchema>;
