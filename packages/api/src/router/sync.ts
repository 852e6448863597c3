import {
  forceSyncInputSchema,
  historyQuerySchema,
  resolveConflictInputSchema,
  restoreInputSchema,
  rowIdSchema,
  visibleName,
} from "@specsync/validators";
import { tracked } from "@trpc/server";
import { z } from "zod";
import { eventStream, eventsSince } from "../services/event-stream";
import { procedure, router } from "../trpc";

export const syncRouter = router({
  /**
   * Overall and per project: counts of errors, conflicts, pending and stale rows; watcher and
   * scheduler state.
   */
  status: procedure.query(({ ctx }) => ctx.services.status.overall()),

  /**
   * One change: last sync, error, conflict, pending flushes, staleness and each file's
   * three-way state.
   */
  specStatus: procedure
    .input(z.object({ specId: rowIdSchema }))
    .query(({ ctx, input }) => ctx.services.status.ofSpec(input.specId)),

  /** Sync now, both directions, ignoring the schedule: one change, one project, or everything. */
  forceSync: procedure.input(forceSyncInputSchema.optional()).mutation(({ ctx, input }) =>
    ctx.services.status.forceSync({
      ...input,
      // The header is no input schema's: what would fake another name is shown, not kept.
      actor: input?.actor ?? (ctx.actor === null ? undefined : visibleName(ctx.actor)),
    }),
  ),

  history: procedure
    .input(historyQuerySchema)
    .query(({ ctx, input }) => ctx.services.history.list(input)),

  /** Open conflicts and pending flushes, with both versions and both modification times. */
  conflicts: procedure
    .input(z.object({ projectId: rowIdSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.services.status.conflicts(input?.projectId)),

  resolveConflict: procedure
    .input(resolveConflictInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.sync.resolveConflict(
        input.specId,
        input.resolution,
        input.actor ?? ctx.actor ?? undefined,
      ),
    ),

  /** Bring back a version kept in history (written to the DB, then flushed to the file). */
  restore: procedure.input(restoreInputSchema).mutation(async ({ ctx, input }) => {
    const { row, files } = await ctx.services.sync.restore(
      input.historyId,
      input.file,
      input.actor ?? ctx.actor ?? undefined,
    );
    return { id: row.id, files, contentHashes: row.contentHashes };
  }),

  /**
   * Live events over SSE. Event ids are history ids, so a client reconnecting with its last id
   * first receives everything it missed.
   */
  events: procedure
    .input(
      z
        .object({ projectId: rowIdSchema.optional(), lastEventId: z.string().max(40).nullish() })
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const live = eventStream(ctx.services.events, signal);
      let lastHistoryId = Number.parseInt(input?.lastEventId ?? "", 10);
      if (Number.isFinite(lastHistoryId)) {
        for (const event of await eventsSince(
          ctx.services.history,
          lastHistoryId,
          input?.projectId,
        )) {
          lastHistoryId = event.historyId ?? lastHistoryId;
          yield tracked(String(event.historyId), event);
        }
      } else {
        lastHistoryId = 0;
      }
      for await (const event of live) {
        if (input?.projectId && event.projectId && event.projectId !== input.projectId) continue;
        if (event.historyId !== null && event.historyId <= lastHistoryId) continue; // already replayed
        if (event.historyId !== null) lastHistoryId = event.historyId;
        yield tracked(
          event.historyId !== null ? String(event.historyId) : `${lastHistoryId}.${event.seq}`,
          event,
        );
      }
    }),
});
