"use client";
import { SYNC_TRIGGERS } from "@specsync/validators";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { RefreshCw } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Select } from "~/components/ui/input";
import { LocalTime, RelativeTime } from "~/components/ui/time";
import { useToast } from "~/components/ui/toaster";
import { useSingleFlight } from "~/components/use-single-flight";
import { useSpecHref } from "~/components/use-spec-href";
import { useTRPC } from "~/lib/trpc";
import { syncHistoryInput } from "~/lib/view-input";

/** The sync panel: totals, projects, open conflicts, and the history with its filters. */
export function SyncPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [trigger, setTrigger] = useState("");
  const [onlyFailures, setOnlyFailures] = useState(false);
  const status = useQuery(trpc.sync.status.queryOptions(undefined, { refetchInterval: 10_000 }));
  const conflicts = useQuery(trpc.sync.conflicts.queryOptions());
  const history = useQuery(trpc.sync.history.queryOptions(syncHistoryInput(trigger, onlyFailures)));
  const invalidate = () => queryClient.invalidateQueries();
  const force = useMutation(
    trpc.sync.forceSync.mutationOptions({
      onSuccess: (r) =>
        toast({
          tone: r.failed ? "error" : "info",
          title: `Synced ${r.total} folders`,
          body: `${r.changed} changed, ${r.failed} failed${
            r.failed
              ? `: ${r.outcomes
                  .filter((o) => !o.success)
                  .map((o) => `${o.path}: ${o.error}`)
                  .join("; ")}`
              : ""
          }`,
        }),
      onError: (e) => toast({ tone: "error", title: "Sync failed", body: e.message }),
      onSettled: invalidate,
    }),
  );
  const resolve = useMutation(trpc.sync.resolveConflict.mutationOptions({ onSettled: invalidate }));
  const syncOnce = useSingleFlight(force);
  const resolveOnce = useSingleFlight(resolve);
  const t = status.data?.totals;
  const hrefOf = useSpecHref();
  return (
    <div className="min-w-0 space-y-6" id="content" tabIndex={-1}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Sync</h1>
        <Button onClick={() => syncOnce({})} disabled={force.isPending} data-testid="sync-all">
          <RefreshCw className={force.isPending ? "h-4 w-4 animate-spin" : "h-4 w-4"} aria-hidden />{" "}
          Sync everything now
        </Button>
      </div>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-5">
        {[
          ["Rows", t?.total],
          ["Sync errors", t?.errors],
          ["Conflicts", t?.conflicts],
          ["Pending writes", t?.pending],
          ["Stale (> 5 min)", t?.stale],
        ].map(([label, n]) => (
          <Card
            key={label as string}
            className="p-3"
            data-testid={`total-${(String(label).split(" ")[0] ?? "").toLowerCase()}`}
          >
            <div className="text-xs text-zinc-500 dark:text-zinc-400">{label}</div>
            <div className="text-2xl font-semibold tabular-nums">{n ?? "–"}</div>
          </Card>
        ))}
      </div>

      <section>
        <h2 className="mb-2 text-lg font-semibold">Projects</h2>
        <Card className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {status.data?.projects.map((p) => (
            <div
              key={p.projectId}
              className="flex flex-wrap items-center gap-3 p-3 text-sm"
              data-testid="project-row"
            >
              <span className="font-medium">{p.name}</span>
              <span className="min-w-0 font-mono text-xs break-all text-zinc-500 dark:text-zinc-400">
                {p.rootPath}
              </span>
              <Badge
                tone={
                  p.watcher.state === "watching"
                    ? "green"
                    : p.watcher.state === "polling"
                      ? "amber"
                      : "red"
                }
              >
                watcher: {p.watcher.state}
              </Badge>
              <span className="text-xs text-zinc-500 dark:text-zinc-400">
                last event <RelativeTime at={p.watcher.lastEventAt} /> · restarts{" "}
                {p.watcher.restarts}
              </span>
              {p.scheduler ? (
                <span className="text-xs text-zinc-500 dark:text-zinc-400">
                  batch <RelativeTime at={p.scheduler.at} />: {p.scheduler.summary.total} checked in{" "}
                  {p.scheduler.ms} ms
                </span>
              ) : null}
              {p.watcher.lastError ? (
                <span className="w-full text-xs wrap-anywhere text-red-600 dark:text-red-400">
                  {p.watcher.lastError}
                </span>
              ) : null}
              <Button
                size="sm"
                variant="outline"
                className="ml-auto"
                onClick={() => syncOnce({ projectId: p.projectId })}
              >
                Sync project
              </Button>
            </div>
          ))}
          {status.data && status.data.projects.length === 0 ? (
            <p className="p-3 text-sm text-zinc-500 dark:text-zinc-400">
              No project is being watched by this server.
            </p>
          ) : null}
        </Card>
      </section>

      <section>
        <h2 className="mb-2 text-lg font-semibold">Conflicts and pending writes</h2>
        <Card className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="conflicts">
          {conflicts.data?.length ? (
            conflicts.data.map((c) => (
              <div key={c.id} className="space-y-1 p-3 text-sm">
                <div className="flex flex-wrap items-center gap-2">
                  <Link href={hrefOf(c, "?tab=history")} className="font-medium hover:underline">
                    {c.title}
                  </Link>
                  {c.conflict ? (
                    <Badge tone="amber">conflict: {c.conflict.files.join(", ")}</Badge>
                  ) : null}
                  {c.pendingFiles.length ? (
                    <Badge tone="red">not yet written: {c.pendingFiles.join(", ")}</Badge>
                  ) : null}
                  {c.conflict ? (
                    <span className="ml-auto flex gap-2">
                      <Button
                        size="sm"
                        variant="outline"
                        onClick={() => resolveOnce({ specId: c.id, resolution: "filesystem_wins" })}
                      >
                        Keep disk
                      </Button>
                      <Button
                        size="sm"
                        variant="destructive"
                        onClick={() => resolveOnce({ specId: c.id, resolution: "db_wins" })}
                      >
                        Use database version
                      </Button>
                    </span>
                  ) : (
                    <Button
                      size="sm"
                      variant="outline"
                      className="ml-auto"
                      onClick={() => syncOnce({ specId: c.id })}
                    >
                      Retry write
                    </Button>
                  )}
                </div>
                {c.conflict ? (
                  <p className="text-xs text-zinc-500 dark:text-zinc-400">
                    disk modified <LocalTime at={c.conflict.fsModifiedAt} /> · database modified{" "}
                    <LocalTime at={c.conflict.dbModifiedAt} />
                  </p>
                ) : null}
              </div>
            ))
          ) : (
            <p className="p-3 text-sm text-zinc-500 dark:text-zinc-400">
              {conflicts.isPending
                ? "Loading…"
                : "No conflicts. Everything on disk matches the database."}
            </p>
          )}
        </Card>
      </section>

      <section>
        <div className="mb-2 flex flex-wrap items-center gap-2">
          <h2 className="mr-auto text-lg font-semibold">History</h2>
          <Select aria-label="Trigger" value={trigger} onChange={(e) => setTrigger(e.target.value)}>
            <option value="">Any trigger</option>
            {SYNC_TRIGGERS.map((x) => (
              <option key={x} value={x}>
                {x.replace("_", " ")}
              </option>
            ))}
          </Select>
          <label className="flex items-center gap-1 text-sm">
            <input
              type="checkbox"
              checked={onlyFailures}
              onChange={(e) => setOnlyFailures(e.target.checked)}
            />{" "}
            failures only
          </label>
        </div>
        <Card className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="history-table">
            <thead className="border-b border-zinc-200 text-left text-xs text-zinc-500 dark:text-zinc-400 uppercase dark:border-zinc-800">
              <tr>
                <th className="px-3 py-2">When</th>
                <th className="px-3 py-2">Change</th>
                <th className="px-3 py-2">Direction</th>
                <th className="px-3 py-2">Trigger</th>
                <th className="px-3 py-2">Result</th>
                <th className="px-3 py-2">Files</th>
                <th className="px-3 py-2 text-right">ms</th>
              </tr>
            </thead>
            <tbody>
              {history.data?.items.map((h) => (
                <tr
                  key={h.id}
                  className="border-b border-zinc-100 last:border-0 dark:border-zinc-800/60"
                >
                  <td className="px-3 py-1.5 text-xs whitespace-nowrap text-zinc-500 dark:text-zinc-400">
                    <RelativeTime at={h.createdAt} />
                  </td>
                  <td className="px-3 py-1.5">
                    {h.specId ? (
                      <Link className="hover:underline" href={`/changes/${h.specId}?tab=history`}>
                        {h.name}
                      </Link>
                    ) : (
                      h.name
                    )}
                  </td>
                  <td className="px-3 py-1.5 text-xs">
                    {h.lifecycle || h.action === "checked"
                      ? "—"
                      : h.direction === "fs_to_db"
                        ? "disk → db"
                        : "db → disk"}
                  </td>
                  <td className="px-3 py-1.5 text-xs">{h.trigger.replace("_", " ")}</td>
                  <td className="px-3 py-1.5">
                    {h.success ? (
                      <Badge tone={h.action === "conflict" ? "amber" : "green"}>
                        {h.action.replace("_", " ")}
                      </Badge>
                    ) : (
                      <Badge tone="red" title={h.error ?? ""}>
                        failed
                      </Badge>
                    )}
                  </td>
                  <td className="px-3 py-1.5 font-mono text-xs">
                    {h.lifecycle
                      ? `${h.lifecycle.field}: ${h.lifecycle.from} → ${h.lifecycle.to}`
                      : h.filesChanged.join(", ")}
                  </td>
                  <td className="px-3 py-1.5 text-right text-xs tabular-nums">{h.durationMs}</td>
                </tr>
              ))}
              {history.data && history.data.items.length === 0 ? (
                <tr>
                  <td
                    colSpan={7}
                    className="px-3 py-6 text-center text-sm text-zinc-500 dark:text-zinc-400"
                    data-testid="history-empty"
                  >
                    {onlyFailures ? "No failed syncs" : "No history entries"}
                    {trigger ? ` with trigger "${trigger.replace("_", " ")}"` : ""}.
                    {onlyFailures ? " Everything synced cleanly." : ""}
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </Card>
      </section>
    </div>
  );
}
