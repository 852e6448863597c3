import {
  claimChangeToolSchema,
  nextWorkToolSchema,
  releaseChangeToolSchema,
} from "@specsync/validators";
import { claimView, tasksLabel } from "../format";
import { defineTool } from "../tool";

export const nextWork = defineTool({
  name: "next_work",
  description:
    "Get the next change to work on and claim it for you (claim: false to only look): highest priority, then oldest; never one that is claimed by someone else, blocked by an unarchived dependency, or overlapping a claimed/in-progress change. explain: true says why others were skipped.",
  input: nextWorkToolSchema,
  async run(ctx, q) {
    const project = await ctx.project(q.project);
    const res = await ctx.services.workQueue.next({
      projectId: project.id,
      owner: q.owner,
      claim: q.claim,
      leaseSeconds: q.leaseSeconds,
      explain: q.explain,
    });
    return {
      change: res.change
        ? {
            name: res.change.name,
            title: res.change.title,
            status: res.change.status,
            priority: res.change.priority,
            tasks: tasksLabel(res.change.tasksCompleted, res.change.tasksTotal),
          }
        : null,
      claim: claimView(res.claim),
      reason: res.reason,
      ...(res.skipped ? { skipped: res.skipped } : {}),
      ...(res.skippedMore ? { skippedMore: res.skippedMore } : {}),
    };
  },
});

export const claimChange = defineTool({
  name: "claim_change",
  description:
    "Claim a change so no other agent takes it, for leaseSeconds (default 900). Calling it again as the same owner renews the lease (use it as a heartbeat). Fails if someone else holds a live claim.",
  input: claimChangeToolSchema,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const res = await ctx.services.claims.claim({
      id: ref.id,
      owner: q.owner,
      leaseSeconds: q.leaseSeconds,
    });
    return { change: res.name, renewed: res.renewed, claim: claimView(res.claim) };
  },
});

export const releaseChange = defineTool({
  name: "release_change",
  description: "Release your claim on a change when you stop working on it (only the owner can).",
  input: releaseChangeToolSchema,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const res = await ctx.services.claims.release({ id: ref.id, owner: q.owner });
    return { change: res.name, released: true };
  },
});
