import { z } from "zod";
import { conflictResolutionSchema, syncDirectionSchema, syncTriggerSchema } from "./enums";
import { rowIdSchema } from "./ids";
import { nameText, storableText } from "./text";

/** A conflict that specsync resolved (automatically, file wins) or that a user resolved. */
export type ConflictDetails = {
  files: string[];
  fsModifiedAt: string | null;
  dbModifiedAt: string | null;
  resolution: "filesystem_wins" | "db_wins";
  automatic: boolean;
  /** History row that keeps the losing version, for restore. */
  keptVersionHistoryId?: number;
};

/** A conflict waiting on the row, shown in the UI until someone looks at it. */
export type OpenConflict = {
  files: string[];
  detectedAt: string;
  fsModifiedAt: string | null;
  dbModifiedAt: string | null;
  /** History row holding the discarded database version. */
  historyId: number | null;
};

/**
 * Dates the database can compare: years 1–9999 (JavaScript accepts -271821, PostgreSQL does
 * not).
 */
const historyDateSchema = z.coerce
  .date()
  .min(new Date("0001-01-01T00:00:00Z"), "dates must be in the years 1 to 9999")
  .max(new Date("9999-12-31T23:59:59.999Z"), "dates must be in the years 1 to 9999");

export const historyQuerySchema = z.object({
  specId: rowIdSchema.optional(),
  projectId: rowIdSchema.optional(),
  direction: syncDirectionSchema.optional(),
  trigger: syncTriggerSchema.optional(),
  success: z.boolean().optional(),
  from: historyDateSchema.optional(),
  to: historyDateSchema.optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** History id to continue after (exclusive). */
  cursor: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullish(),
});
export type HistoryQuery = z.input<typeof historyQuerySchema>;

export const resolveConflictInputSchema = z.object({
  specId: rowIdSchema,
  resolution: conflictResolutionSchema,
  actor: nameText(z.string().max(200)).optional(),
});
export type ResolveConflictInput = z.infer<typeof resolveConflictInputSchema>;

export const forceSyncInputSchema = z
  .object({
    specId: rowIdSchema.optional(),
    projectId: rowIdSchema.optional(),
    actor: nameText(z.string().max(200)).optional(),
  })
  .refine((v) => !(v.specId && v.projectId), "give a specId or a projectId, not both");
export type ForceSyncInput = z.infer<typeof forceSyncInputSchema>;

export const restoreInputSchema = z.object({
  historyId: z.number().int().positive(),
  file: storableText(z.string().max(500)).optional(),
  actor: nameText(z.string().max(200)).optional(),
});
export type RestoreInput = z.infer<typeof restoreInputSchema>;

export const syncEventTypeSchema = z.enum([
  "sync_started",
  "sync_completed",
  "sync_failed",
  "conflict_detected",
  "spec_changed",
]);
export type SyncEventType = z.infer<typeof syncEventTypeSchema>;

export type SyncEvent = {
  type: SyncEventType;
  projectId: string | null;
  specId: string | null;
  name: string | null;
  direction?: z.infer<typeof syncDirectionSchema>;
  error?: string;
  at: string;
};
