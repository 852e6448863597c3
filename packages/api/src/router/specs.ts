import { z } from "zod";
import {
  capabilityIdSchema,
  listSpecsInputSchema,
  nextWorkInputSchema,
  rowIdSchema,
  setPriorityInputSchema,
  setStatusInputSchema,
  toggleTaskInputSchema,
  updateFileInputSchema,
} from "@specsync/validators";
import { procedure, router } from "../trpc";

export const specsRouter = router({
  list: procedure.input(listSpecsInputSchema.optional()).query(({ ctx, input }) => ctx.services.specs.list(input ?? {})),
  get: procedure.input(z.object({ id: rowIdSchema })).query(({ ctx, input }) => ctx.services.specs.get(input.id)),
  /** Write one file: DB first, then an immediate atomic flush. A stale baseHash answers CONFLICT. */
  update: procedure.input(updateFileInputSchema).mutation(({ ctx, input }) => ctx.services.specs.update({ ...input, actor: input.actor ?? ctx.actor ?? undefined })),
  toggleTask: procedure.input(toggleTaskInputSchema).mutation(({ ctx, input }) => ctx.services.specs.toggleTask({ ...input, actor: input.actor ?? ctx.actor ?? undefined })),
  /** Choosing "archived" runs the archive (LifecycleService). */
  setStatus: procedure.input(setStatusInputSchema).mutation(({ ctx, input }) => ctx.services.lifecycle.setStatus({ ...input, actor: input.actor ?? ctx.actor ?? "anonymous" })),
  setPriority: procedure.input(setPriorityInputSchema).mutation(({ ctx, input }) => ctx.services.specs.setPriority({ ...input, actor: input.actor ?? ctx.actor ?? "anonymous" })),
  /** Changes whose delta specs touch a capability. */
  touching: procedure
    .input(z.object({ projectId: rowIdSchema, capability: capabilityIdSchema }))
    .query(({ ctx, input }) => ctx.services.specs.touching(input.projectId, input.capability)),
  /** The work queue: what should be worked on next. */
  next: procedure.input(nextWorkInputSchema.optional()).query(({ ctx, input }) => ctx.services.specs.next(input?.projectId)),
});
