import {
  archiveChangeInputSchema,
  bulkUpdateInputSchema,
  createChangeInputSchema,
  previewChangeInputSchema,
  rowIdSchema,
  validateChangeInputSchema,
} from "@specsync/validators";
import { z } from "zod";
import { procedure, router } from "../trpc";

/**
 * The change lifecycle through the real OpenSpec CLI (LifecycleService), plus the board's bulk
 * edits.
 */
export const changesRouter = router({
  /** `openspec new change <name>`: returns the new row's id (the UI opens it in the editor). */
  create: procedure
    .input(createChangeInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.lifecycle.create({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  /** `openspec validate <id> --json --strict`; the findings are stored on the row. */
  validate: procedure
    .input(validateChangeInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.lifecycle.validate({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  /** What archive would write to each main spec, per requirement. */
  preview: procedure
    .input(previewChangeInputSchema)
    .query(({ ctx, input }) => ctx.services.lifecycle.preview(input.id)),
  /** `openspec archive <id> --yes [--skip-specs]`. */
  archive: procedure
    .input(archiveChangeInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.lifecycle.archive({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  /** Status and/or priority for many changes at once. */
  bulkUpdate: procedure
    .input(bulkUpdateInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.specs.bulkUpdate({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  /** The live dashboard (like `openspec view`). */
  summary: procedure
    .input(z.object({ projectId: rowIdSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.services.specs.summary(input?.projectId)),
});
