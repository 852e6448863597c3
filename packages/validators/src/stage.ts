import type { ChangeStage, LifecycleStatus } from "./enums";

type StageInput = { archived: boolean; tasksTotal: number; tasksCompleted: number };

/**
 * The stage of a change from its files (the same rule as the `stage` generated column and
 * `openspec view`).
 */
export function stageOf(c: StageInput): ChangeStage {
  if (c.archived) return "archived";
  if (c.tasksTotal === 0) return "draft";
  return c.tasksCompleted >= c.tasksTotal ? "complete" : "in_progress";
}

const INITIAL_STATUS: Record<ChangeStage, LifecycleStatus> = {
  draft: "proposing",
  in_progress: "in_progress",
  complete: "applied",
  archived: "archived",
};

/**
 * The lifecycle status a change starts with when it is first imported: what its files say. Tasks
 * with none ticked are a plan, not work begun: such a change starts as "proposing", so it does not
 * count as in progress (which would keep `next_work` off every change overlapping it).
 */
export function initialStatusFor(c: StageInput): LifecycleStatus {
  const stage = stageOf(c);
  if (stage === "in_progress" && c.tasksCompleted === 0) return "proposing";
  return INITIAL_STATUS[stage];
}

/**
 * Why a status contradicts the files, or null when it does not. The status is a workflow layer on
 * top of the stage; only combinations that cannot both be true are flagged.
 */
export function statusMismatch(status: LifecycleStatus, c: StageInput): string | null {
  const stage = stageOf(c);
  if (stage === "archived")
    return status === "archived"
      ? null
      : `the change is archived on disk but its status is "${status}"`;
  if (status === "archived")
    return "the status says archived but the change is still active on disk";
  const open = c.tasksTotal - c.tasksCompleted;
  if (
    stage === "complete" &&
    (status === "proposing" || status === "approved" || status === "assigned")
  ) {
    return `all ${c.tasksTotal} tasks are done but the status is still "${status}"`;
  }
  if (
    stage === "draft" &&
    (status === "in_progress" || status === "review" || status === "applied")
  ) {
    return `the status is "${status}" but the change has no tasks yet`;
  }
  if (stage === "in_progress" && status === "applied")
    return `the status is "applied" but ${open} of ${c.tasksTotal} tasks are still open`;
  return null;
}
