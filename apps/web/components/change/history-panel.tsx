"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { LocalTime, RelativeTime } from "~/components/ui/time";
import { useToast } from "~/components/ui/toaster";
import { type FileChange, historyChanges } from "~/lib/history-diff";
import { describeEntry } from "~/lib/history-labels";
import { humanError } from "~/lib/human-error";
import { useTRPC } from "~/lib/trpc";

/**
 * Every sync, edit, lifecycle change and conflict of one change: what changed (a diff), who and
 * why, and a restore.
 */
export function HistoryPanel({
  specId,
  files,
}: {
  specId: string;
  files: Record<string, string | undefined>;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const history = useQuery(trpc.sync.history.queryOptions({ specId, limit: 100 }));
  const restore = useMutation(
    trpc.sync.restore.mutationOptions({
      onSuccess: (r) => {
        toast({
          tone: "info",
          title: `Restored ${r.files.join(", ")}`,
          body: "Written to the database and to disk.",
        });
        void queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.sync.pathKey() });
      },
      onError: (err) => toast({ tone: "error", title: "Restore failed", body: humanError(err) }),
    }),
  );
  if (history.isPending)
    return <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading history…</p>;
  if (history.error)
    return (
      <p className="text-sm wrap-anywhere text-red-600 dark:text-red-400">
        {humanError(history.error)}
      </p>
    );
  if (history.data.items.length === 0)
    return (
      <p className="py-8 text-center text-sm text-zinc-500 dark:text-zinc-400">No history yet.</p>
    );
  const changes = historyChanges(history.data.items, files);
  return (
    <ol className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="history-panel">
      {history.data.items.map((h) => {
        const d = describeEntry(h);
        return (
          <li
            key={h.id}
            className="space-y-1.5 py-2.5 text-sm"
            data-testid="history-entry"
            data-action={h.action}
          >
            <div className="flex flex-wrap items-center gap-2">
              <RelativeTime
                at={h.createdAt}
                className="w-20 shrink-0 text-xs text-zinc-500 dark:text-zinc-400"
              />
              <Badge
                tone={
                  !h.success
                    ? "red"
                    : h.action === "conflict" || h.action === "draft_discarded"
                      ? "amber"
                      : h.lifecycle
                        ? "green"
                        : h.direction === "db_to_fs"
                          ? "violet"
                          : "blue"
                }
              >
                {h.action.replace("_", " ")}
              </Badge>
              <span className="min-w-0 break-words" data-testid="history-what">
                {d.what}
              </span>
              <span className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="history-who">
                {d.why}
                {h.actor ? ` · by ${h.actor}` : ""}
              </span>
            </div>
            {h.error ? (
              <p className="text-xs wrap-anywhere text-red-600 dark:text-red-400">{h.error}</p>
            ) : null}
            {h.conflict ? (
              <p className="text-xs text-amber-700 dark:text-amber-400">
                Conflict on {h.conflict.files.join(", ")}: {h.conflict.resolution.replace("_", " ")}
                {h.conflict.automatic ? " (automatic)" : ""}; disk modified{" "}
                <LocalTime at={h.conflict.fsModifiedAt} />, database modified{" "}
                <LocalTime at={h.conflict.dbModifiedAt} />
              </p>
            ) : null}
            {(changes.get(h.id) ?? []).map((c) => (
              <details
                key={c.file}
                className="rounded-md border border-zinc-200 dark:border-zinc-800"
                data-testid="history-diff"
              >
                <summary className="flex cursor-pointer flex-wrap items-center gap-2 px-2 py-1 text-xs">
                  <span className="min-w-0 font-mono wrap-anywhere">{c.file}</span>
                  <span className="text-emerald-700 dark:text-emerald-400">+{c.added}</span>
                  <span className="text-red-700 dark:text-red-400">−{c.removed}</span>
                  {c.draft ? (
                    <span className="text-zinc-500 dark:text-zinc-400">
                      the draft, compared with the disk version kept
                    </span>
                  ) : null}
                  {c.restorable !== null ? (
                    <Button
                      variant="outline"
                      size="sm"
                      className="ml-auto h-6"
                      disabled={restore.isPending}
                      onClick={(e) => (
                        e.preventDefault(), restore.mutate({ historyId: h.id, file: c.file })
                      )}
                      title={
                        c.draft
                          ? `Write the discarded draft of ${c.file} to disk`
                          : `Bring back ${c.file} as it was before this entry`
                      }
                    >
                      {c.draft ? "Restore discarded draft" : "Restore version before"}
                    </Button>
                  ) : null}
                </summary>
                <DiffLines change={c} />
              </details>
            ))}
          </li>
        );
      })}
    </ol>
  );
}

function DiffLines({ change }: { change: FileChange }) {
  if (change.added === 0 && change.removed === 0)
    return <p className="px-2 pb-2 text-xs text-zinc-500 dark:text-zinc-400">No line changed.</p>;
  return (
    <pre className="overflow-x-auto border-t border-zinc-200 px-2 py-1 text-xs dark:border-zinc-800">
      {change.lines.map((l, i) => (
        <div
          // biome-ignore lint/suspicious/noArrayIndexKey: diff lines have no id; the list is recomputed whole
          key={i}
          className={
            l.kind === "add"
              ? "bg-emerald-50 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200"
              : l.kind === "del"
                ? "bg-red-50 text-red-900 dark:bg-red-950 dark:text-red-200"
                : "text-zinc-500 dark:text-zinc-400"
          }
        >
          {l.kind === "add" ? "+ " : l.kind === "del" ? "- " : l.kind === "gap" ? "" : "  "}
          {l.text}
        </div>
      ))}
    </pre>
  );
}
