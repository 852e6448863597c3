import {
  capabilityIdSchema,
  discardDraftInputSchema,
  listSpecsInputSchema,
  lookupInputSchema,
  nextWorkInputSchema,
  rowIdSchema,
  setPriorityInputSchema,
  setStatusInputSchema,
  toggleTaskInputSchema,
  updateFileInputSchema,
} from "@specsync/validators";
import { z } from "zod";
import { procedure, router } from "../trpc";

export const specsRouter = router({
  list: procedure
    .input(listSpecsInputSchema.optional())
    .query(({ ctx, input }) => ctx.services.specs.list(input ?? {})),
  get: procedure
    .input(z.object({ id: rowIdSchema }))
    .query(({ ctx, input }) => ctx.services.specs.get(input.id)),
  /** The row behind a readable address (project slug + change name or capability id). */
  lookup: procedure
    .input(lookupInputSchema)
    .query(({ ctx, input }) => ctx.services.specs.lookup(input)),
  /**
   * Write one file: DB first, then an immediate atomic flush. Made on an older baseHash, the text
   * is merged three-way with what changed since (`outcome: "merged"`); overlapping edits answer
   * CONFLICT with `details.merged` (text with conflict markers) and `details.conflicts` (their
   * regions).
   */
  update: procedure
    .input(updateFileInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.specs.update({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  /**
   * The same merge as `update`, without writing: how an edit made on baseHash combines with
   * the current file.
   */
  // A mutation only for transport: the text (up to 1 MiB) travels in a POST body, never in a GET
  // URL.
  previewMerge: procedure
    .input(updateFileInputSchema.omit({ actor: true }))
    .mutation(({ ctx, input }) => ctx.services.edits.preview(input)),
  /**
   * "Keep disk": the person's unsaved text is kept as a history entry (draft discarded by
   * <actor>), restorable.
   */
  discardDraft: procedure
    .input(discardDraftInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.edits.discardDraft({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  toggleTask: procedure
    .input(toggleTaskInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.specs.toggleTask({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  /** Choosing "archived" runs the archive (LifecycleService). */
  setStatus: procedure.input(setStatusInputSchema).mutation(({ ctx, input }) =>
    ctx.services.lifecycle.setStatus({
      ...input,
      actor: input.actor ?? ctx.actor ?? "anonymous",
    }),
  ),
  setPriority: procedure
    .input(setPriorityInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.specs.setPriority({ ...input, actor: input.actor ?? ctx.actor ?? "anonymous" }),
    ),
  /** Changes whose delta specs touch a capability. */
  touching: procedure
    .input(z.object({ projectId: rowIdSchema, capability: capabilityIdSchema }))
    .query(({ ctx, input }) => ctx.services.specs.touching(input.projectId, input.capability)),
  /** The work queue: what should be worked on next. */
  next: procedure
    .input(nextWorkInputSchema.optional())
    .query(({ ctx, input }) => ctx.services.specs.next(input?.projectId)),
});
