import {
  claimHistoryInputSchema,
  claimInputSchema,
  dependencyInputSchema,
  heartbeatInputSchema,
  nextWorkClaimInputSchema,
  releaseInputSchema,
  rowIdSchema,
} from "@specsync/validators";
import { z } from "zod";
import { procedure, router } from "../trpc";

/**
 * Claims, dependencies, overlaps and the claiming work queue: thin over the services that MCP
 * and the CLI use too.
 */
export const agentsRouter = router({
  claim: procedure
    .input(claimInputSchema)
    .mutation(({ ctx, input }) => ctx.services.claims.claim(input)),
  heartbeat: procedure
    .input(heartbeatInputSchema)
    .mutation(({ ctx, input }) => ctx.services.claims.heartbeat(input)),
  release: procedure
    .input(releaseInputSchema)
    .mutation(({ ctx, input }) => ctx.services.claims.release(input)),
  /** The live claim on a change, or null. */
  claimOf: procedure
    .input(z.object({ id: rowIdSchema }))
    .query(({ ctx, input }) => ctx.services.claims.get(input.id)),
  /** Newest first, the last `limit` events and the total. */
  claimHistory: procedure
    .input(claimHistoryInputSchema)
    .query(({ ctx, input }) => ctx.services.claims.history(input.id, input.limit)),
  dependencies: procedure
    .input(z.object({ id: rowIdSchema }))
    .query(({ ctx, input }) => ctx.services.dependencies.list(input.id)),
  addDependency: procedure
    .input(dependencyInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.dependencies.add({ ...input, actor: input.actor ?? ctx.actor ?? undefined }),
    ),
  removeDependency: procedure
    .input(dependencyInputSchema)
    .mutation(({ ctx, input }) => ctx.services.dependencies.remove(input)),
  overlaps: procedure
    .input(z.object({ id: rowIdSchema }))
    .query(({ ctx, input }) => ctx.services.overlaps.forChange(input.id)),
  /** Active changes that overlap another, for the list's warning: id → names of the others. */
  overlapMap: procedure
    .input(z.object({ projectId: rowIdSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.services.overlaps.map(input?.projectId)),
  /**
   * The work queue; with `claim: true` a mutation in effect (it takes the claim), hence a
   * mutation.
   */
  nextWork: procedure
    .input(nextWorkClaimInputSchema)
    .mutation(({ ctx, input }) => ctx.services.workQueue.next(input)),
});
