"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/lib/trpc";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { useToast } from "~/components/ui/toaster";
import { timeAgo } from "~/lib/utils";

/** Every sync, edit and conflict of one change, with the versions kept for restore. */
export function HistoryPanel({ specId }: { specId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const history = useQuery(trpc.sync.history.queryOptions({ specId, limit: 100 }));
  const restore = useMutation(
    trpc.sync.restore.mutationOptions({
      onSuccess: (r) => {
        toast({ tone: "info", title: `Restored ${r.files.join(", ")}`, body: "Written to the database and to disk." });
        void queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.sync.pathKey() });
      },
      onError: (err) => toast({ tone: "error", title: "Restore failed", body: err.message }),
    }),
  );
  if (history.isPending) return <p className="text-sm text-zinc-500">Loading history…</p>;
  if (history.error) return <p className="text-sm text-red-600">{history.error.message}</p>;
  return (
    <ol className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="history-panel">
      {history.data.items.map((h) => (
        <li key={h.id} className="flex flex-wrap items-center gap-2 py-2 text-sm">
          <span className="w-20 text-xs text-zinc-500" title={new Date(h.createdAt).toLocaleString()}>{timeAgo(h.createdAt)}</span>
          <Badge tone={!h.success ? "red" : h.action === "conflict" ? "amber" : h.direction === "db_to_fs" ? "violet" : "blue"}>{h.action}</Badge>
          <span className="text-xs text-zinc-500">{h.direction === "fs_to_db" ? "disk → db" : "db → disk"} · {h.trigger.replace("_", " ")}{h.actor ? ` · ${h.actor}` : ""}</span>
          <span className="font-mono text-xs">{h.filesChanged.join(", ")}</span>
          {h.error ? <span className="w-full text-xs text-red-600">{h.error}</span> : null}
          {h.conflict ? <span className="w-full text-xs text-amber-700 dark:text-amber-400">Conflict on {h.conflict.files.join(", ")}: {h.conflict.resolution.replace("_", " ")}{h.conflict.automatic ? " (automatic)" : ""}; disk modified {h.conflict.fsModifiedAt ? new Date(h.conflict.fsModifiedAt).toLocaleString() : "?"}, database modified {h.conflict.dbModifiedAt ? new Date(h.conflict.dbModifiedAt).toLocaleString() : "?"}</span> : null}
          {h.previousContent && Object.values(h.previousContent).some((v) => v !== null) ? (
            <span className="ml-auto flex gap-1">
              {Object.entries(h.previousContent).filter(([, v]) => v !== null).map(([f]) => (
                <Button key={f} variant="outline" size="sm" disabled={restore.isPending} onClick={() => restore.mutate({ historyId: h.id, file: f })} title={`Bring back the version of ${f} this entry replaced`}>
                  Restore {f}
                </Button>
              ))}
            </span>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
