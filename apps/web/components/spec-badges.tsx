import { AlertTriangle, CloudOff, GitMerge } from "lucide-react";
import { Badge, PRIORITY_TONE, STATUS_TONE } from "~/components/ui/badge";
import { RelativeTime } from "~/components/ui/time";
import { STATUS_LABEL } from "~/lib/utils";

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? "gray"} data-testid="status-badge">
      {STATUS_LABEL[status] ?? status}
    </Badge>
  );
}

export function PriorityBadge({ priority }: { priority: string }) {
  if (priority === "none")
    return <span className="text-xs text-zinc-500 dark:text-zinc-400">—</span>;
  return <Badge tone={PRIORITY_TONE[priority] ?? "gray"}>{priority}</Badge>;
}

/** Last sync time plus any problem: sync error, open conflict, edits waiting to be written. */
export function SyncState(props: {
  lastSyncedAt: Date | string | null;
  syncError: string | null;
  conflict: unknown;
  pendingFiles: string[];
}) {
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
      {props.syncError ? (
        <span
          role="img"
          title={props.syncError}
          className="text-red-600 dark:text-red-400"
          aria-label={`sync error: ${props.syncError}`}
        >
          <CloudOff className="h-3.5 w-3.5" aria-hidden />
        </span>
      ) : null}
      {props.conflict ? (
        <span
          role="img"
          title="conflict: the disk version won, your edit is in history"
          className="text-amber-600"
          aria-label="conflict"
        >
          <GitMerge className="h-3.5 w-3.5" aria-hidden />
        </span>
      ) : null}
      {props.pendingFiles.length ? (
        <span
          role="img"
          title={`waiting to be written: ${props.pendingFiles.join(", ")}`}
          className="text-amber-600"
          aria-label="pending write"
        >
          <AlertTriangle className="h-3.5 w-3.5" aria-hidden />
        </span>
      ) : null}
      <RelativeTime at={props.lastSyncedAt} />
    </span>
  );
}
