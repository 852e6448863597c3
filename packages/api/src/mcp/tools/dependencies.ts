import { dependencyToolSchema } from "@specsync/validators";
import type { Dependencies } from "../../services/dependencies-service";
import { defineTool } from "../tool";

const view = (name: string, d: Dependencies) => ({
  change: name,
  dependsOn: d.dependsOn.map((x) => ({ name: x.name, archived: x.archived })),
  blockedBy: d.blockedBy,
});

export const addDependency = defineTool({
  name: "add_dependency",
  description:
    "Record that a change depends on another: it stays blocked (next_work skips it) until that one is archived. Cycles are refused, naming the cycle.",
  input: dependencyToolSchema,
  async run(ctx, q) {
    const [ref, dep] = await Promise.all([
      ctx.change(q.change, q.project),
      ctx.change(q.dependsOn, q.project),
    ]);
    return view(
      ref.name,
      await ctx.services.dependencies.add({ id: ref.id, dependsOn: dep.id, actor: ctx.actor }),
    );
  },
});

export const removeDependency = defineTool({
  name: "remove_dependency",
  description: "Remove a dependency recorded with add_dependency.",
  input: dependencyToolSchema,
  async run(ctx, q) {
    const [ref, dep] = await Promise.all([
      ctx.change(q.change, q.project),
      ctx.change(q.dependsOn, q.project),
    ]);
    return view(
      ref.name,
      await ctx.services.dependencies.remove({ id: ref.id, dependsOn: dep.id }),
    );
  },
});
