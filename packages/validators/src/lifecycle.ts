import { z } from "zod";
import { ownerSchema } from "./agents";
import { lifecycleStatusSchema, prioritySchema } from "./enums";
import { CHANGE_ID_PATTERN, rowIdSchema } from "./ids";
import { nameText, storableText } from "./text";

/**
 * The name of a new change, as `openspec new change` accepts it (kebab-case), with a friendlier
 * message.
 */
export const newChangeNameSchema = z
  .string()
  .trim()
  .min(1, "give the change a name")
  .max(100, "a change name has at most 100 characters")
  .regex(
    CHANGE_ID_PATTERN,
    "use kebab-case: lowercase letters, digits and single hyphens (e.g. add-dark-mode)",
  );

const actorSchema = nameText(z.string().trim().min(1).max(200)).optional();

export const createChangeInputSchema = z.object({
  /** Project to create it in; the first project when omitted. */
  projectId: rowIdSchema.optional(),
  name: newChangeNameSchema,
  goal: storableText(z.string().trim().max(500)).optional(),
  actor: actorSchema,
});
export type CreateChangeInput = z.input<typeof createChangeInputSchema>;

export const validateChangeInputSchema = z.object({ id: rowIdSchema, actor: actorSchema });
export type ValidateChangeInput = z.input<typeof validateChangeInputSchema>;

export const archiveChangeInputSchema = z.object({
  id: rowIdSchema,
  /** `--skip-specs`: move the change without applying its delta specs. */
  skipSpecs: z.boolean().default(false),
  actor: actorSchema,
  /** Who archives, as claims name owners: archiving your own claimed change needs no force. */
  owner: ownerSchema.optional(),
  /** Archive a change someone else has claimed (their claim ends, recorded in claim history). */
  force: z.boolean().default(false),
  /**
   * With `force`: whose claim the person confirmed ending. Someone else holding it by the time the
   * archive runs refuses it (CONFLICT naming them), so a claim that changed hands is never ended
   * unseen.
   */
  expectedOwner: ownerSchema.optional(),
});
export type ArchiveChangeInput = z.input<typeof archiveChangeInputSchema>;

export const previewChangeInputSchema = z.object({ id: rowIdSchema });

/**
 * Bulk edits from the board: one status and/or priority for many changes, each recorded in
 * history.
 */
export const bulkUpdateInputSchema = z
  .object({
    ids: z.array(rowIdSchema).min(1).max(200),
    status: lifecycleStatusSchema.exclude(["archived"]).optional(),
    priority: prioritySchema.optional(),
    actor: actorSchema,
  })
  .refine((v) => v.status || v.priority, "give a status or a priority");
export type BulkUpdateInput = z.input<typeof bulkUpdateInputSchema>;

/**
 * One finding of `openspec validate --strict`, placed at its line when it names something we can
 * find.
 */
export type ValidationFinding = {
  level: "ERROR" | "WARNING" | "INFO";
  /**
   * File relative to the change folder (`proposal.md`, `specs/cli/spec.md`), or null for the
   * change as a whole.
   */
  file: string | null;
  /** 1-based line in that file, or null. */
  line: number | null;
  message: string;
};

/** What the last validation found, stored on the change's row. */
export type ValidationResult = {
  valid: boolean;
  errors: number;
  warnings: number;
  /** The first findings of each level (200); `notShown` counts the rest. */
  findings: ValidationFinding[];
  /** Findings left out of `findings` (absent when none were). */
  notShown?: number;
  validatedAt: string;
  durationMs: number;
  /** Content hashes of the files that were validated (stale when the files changed since). */
  contentHashes: Record<string, string>;
};
