import { createCallerFactory, router } from "../trpc";
import { agentsRouter } from "./agents";
import { changesRouter } from "./changes";
import { projectsRouter } from "./projects";
import { specsRouter } from "./specs";
import { syncRouter } from "./sync";

/** The one root router: every procedure of specsync. */
export const appRouter = router({
  sync: syncRouter,
  specs: specsRouter,
  projects: projectsRouter,
  changes: changesRouter,
  agents: agentsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
