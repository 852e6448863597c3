import { addProjectInputSchema, removeProjectInputSchema } from "@specsync/validators";
import { procedure, router } from "../trpc";

export const projectsRouter = router({
  list: procedure.query(({ ctx }) => ctx.services.projects.list()),
  /** Register a repository; the server starts watching it at once. */
  add: procedure
    .input(addProjectInputSchema)
    .mutation(({ ctx, input }) => ctx.services.runtime.addProject(input)),
  /** Stop watching; rows are kept unless `deleteRows`. */
  remove: procedure
    .input(removeProjectInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.runtime.removeProject(input.id, input.deleteRows ?? false),
    ),
});
