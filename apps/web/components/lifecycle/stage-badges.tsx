import { type ChangeStage, type LifecycleStatus, statusMismatch } from "@specsync/validators";
import { AlertTriangle, CircleAlert } from "lucide-react";
import { Badge, type Tone } from "~/components/ui/badge";

export const STAGE_LABEL: Record<ChangeStage, string> = {
  draft: "no tasks",
  in_progress: "tasks open",
  complete: "all tasks done",
  archived: "archived",
};
const STAGE_TONE: Record<ChangeStage, Tone> = {
  draft: "gray",
  in_progress: "amber",
  complete: "green",
  archived: "gray",
};

type StageProps = {
  stage: ChangeStage | null;
  status: LifecycleStatus;
  archived: boolean;
  tasksTotal: number;
  tasksCompleted: number;
};

/**
 * The stage derived from the files (like `openspec view`), with a flag when the status
 * contradicts it.
 */
export function StageBadge(props: StageProps) {
  if (!props.stage) return null;
  const mismatch = statusMismatch(props.status, props);
  return (
    <span className="inline-flex items-center gap-1" data-testid="stage">
      <Badge
        tone={STAGE_TONE[props.stage]}
        title="Stage, from the files"
        className="border border-dashed border-current/30 bg-transparent dark:bg-transparent"
        data-stage={props.stage}
      >
        {STAGE_LABEL[props.stage]}
      </Badge>
      {mismatch ? (
        <span
          role="img"
          title={mismatch}
          aria-label={`status disagrees with the files: ${mismatch}`}
          className="text-amber-600"
          data-testid="status-mismatch"
        >
          <AlertTriangle className="h-3.5 w-3.5" aria-hidden />
        </span>
      ) : null}
    </span>
  );
}

/** Errors (and warnings) found by the last `openspec validate --strict`. */
export function ValidationBadge({
  errors,
  warnings,
}: {
  errors: number | null;
  warnings?: number | null;
}) {
  if (!errors) return null;
  return (
    <Badge
      tone="red"
      data-testid="validation-badge"
      title={`openspec validate --strict: ${errors} errors${warnings ? `, ${warnings} warnings` : ""}`}
    >
      <CircleAlert className="mr-1 h-3 w-3" aria-hidden /> {errors}{" "}
      {errors === 1 ? "error" : "errors"}
    </Badge>
  );
}
