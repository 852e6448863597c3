"use client";
import { LIFECYCLE_STATUSES, PRIORITIES, STATUS_TRANSITIONS } from "@specsync/validators";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { RefreshCw } from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect } from "react";
import { PriorityBadge, StatusBadge, SyncState } from "~/components/spec-badges";
import { BareButton, Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Select } from "~/components/ui/input";
import { Progress } from "~/components/ui/progress";
import { useToast } from "~/components/ui/toaster";
import { useSingleFlight } from "~/components/use-single-flight";
import { useSpecHref } from "~/components/use-spec-href";
import { useViewParams } from "~/components/use-view-params";
import { humanError, isGone } from "~/lib/human-error";
import { useTRPC } from "~/lib/trpc";
import { cn, STATUS_LABEL, visibleName } from "~/lib/utils";
import { ClaimHistory } from "./claim-history";
import { FilePanel } from "./file-panel";
import { HistoryPanel } from "./history-panel";
import { LifecycleBar } from "./lifecycle-bar";
import { TasksPanel } from "./tasks-panel";

/**
 * The first proposal of a new change, opened in the editor (nothing is written until it is
 * saved).
 */
function proposalTemplate(name: string, meta: Record<string, unknown>) {
  const goal = typeof meta.goal === "string" ? meta.goal : "";
  return `# Change: ${name}\n\n## Why\n${goal}\n\n## What Changes\n- \n\n## Impact\n- Affected specs: \n`;
}

import { LocalTime, RelativeTime } from "~/components/ui/time";
import { AgentsPanel } from "./agents-panel";

export function ChangePage({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const view = useViewParams();
  const spec = useQuery(trpc.specs.get.queryOptions({ id }));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
  const onError = (err: { message: string }) =>
    toast({ tone: "error", title: "Not saved", body: humanError(err) });
  const setStatus = useMutation(
    trpc.specs.setStatus.mutationOptions({ onSuccess: invalidate, onError }),
  );
  const setPriority = useMutation(
    trpc.specs.setPriority.mutationOptions({ onSuccess: invalidate, onError }),
  );
  const resolve = useMutation(
    trpc.sync.resolveConflict.mutationOptions({ onSuccess: invalidate, onError }),
  );
  const syncNow = useMutation(
    trpc.sync.forceSync.mutationOptions({
      onSuccess: (r) =>
        toast({
          tone: r.failed ? "error" : "info",
          title: r.failed ? "Sync failed" : r.changed ? "Synced: changes found" : "Already in sync",
          body: r.outcomes.find((o) => o.error)?.error,
        }),
      onSettled: invalidate,
    }),
  );

  const syncOnce = useSingleFlight(syncNow);
  const resolveOnce = useSingleFlight(resolve);
  const hrefOf = useSpecHref();
  const pathname = usePathname();
  const archivedHref = spec.data?.archived ? hrefOf(spec.data) : null;
  // Archived (here or elsewhere): the address follows the row to its archive folder, so a reload,
  // a bookmark or a shared link keeps showing it, never a later change that reuses the name.
  useEffect(() => {
    if (!archivedHref?.startsWith("/p/") || archivedHref === pathname) return;
    window.history.replaceState(null, "", `${archivedHref}${window.location.search}`);
  }, [archivedHref, pathname]);

  if (spec.isPending) return <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>;
  // Removed on disk while open: the last version stays on screen (an open editor keeps its text).
  const removed = spec.error !== null && isGone(spec.error) && spec.data !== undefined;
  if (!spec.data)
    return (
      <p className="wrap-anywhere text-red-600 dark:text-red-400">
        Could not load: {humanError(spec.error)}
      </p>
    );
  const s = spec.data;
  const isChange = s.kind === "change";
  const deltaFiles = Object.keys(s.files)
    .filter((f) => f.startsWith("specs/"))
    .sort();
  const tabs = isChange
    ? ["proposal", "tasks", "design", "deltas", "history"]
    : ["spec", "history"];
  const asked = view.get("tab");
  const tab = asked && tabs.includes(asked) ? asked : (tabs[0] ?? "history");
  const findingsOf = (file: string) => s.validation?.findings.filter((f) => f.file === file) ?? [];
  const label: Record<string, string> = {
    proposal: "Proposal",
    tasks: `Tasks (${s.tasksCompleted}/${s.tasksTotal})`,
    design: "Design",
    deltas: `Spec deltas (${deltaFiles.length})`,
    history: `History (${s.history.count})`,
    spec: "Spec",
  };

  return (
    <div className="min-w-0 space-y-4" id="content" tabIndex={-1}>
      <div className="text-sm break-words text-zinc-500 dark:text-zinc-400">
        <Link href={isChange ? "/" : `/specs?spec=${s.id}`} className="hover:underline">
          {isChange ? "Changes" : "Specs"}
        </Link>{" "}
        / {visibleName(s.name)}
      </div>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold break-words" data-testid="change-heading">
            {s.title}
          </h1>
          <p className="mt-1 font-mono text-xs break-all text-zinc-500 dark:text-zinc-400">
            openspec/{visibleName(s.path)}
          </p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            {isChange ? <StatusBadge status={s.status} /> : null}
            {isChange ? <PriorityBadge priority={s.priority} /> : null}
            {s.tasksTotal ? (
              <Progress value={s.completion} label={`${s.tasksCompleted}/${s.tasksTotal} tasks`} />
            ) : null}
            <SyncState {...s} />
          </div>
        </div>
        <Card className="flex flex-wrap items-end gap-3 p-3" data-testid="lifecycle-controls">
          {/* Status and priority are a change's lifecycle; a main spec has none. */}
          {isChange ? (
            <>
              <label className="text-xs text-zinc-500 dark:text-zinc-400">
                Status
                <Select
                  className="mt-1 block"
                  value={s.status}
                  data-testid="status-select"
                  onChange={(e) =>
                    e.target.value === "archived"
                      ? view.set({ archive: "1" })
                      : setStatus.mutate({
                          id,
                          status: e.target.value as (typeof LIFECYCLE_STATUSES)[number],
                        })
                  }
                >
                  {LIFECYCLE_STATUSES.map((st) => (
                    <option
                      key={st}
                      value={st}
                      disabled={st !== s.status && !STATUS_TRANSITIONS[s.status].includes(st)}
                    >
                      {st === "archived" && s.status !== "archived"
                        ? "Archive… (runs openspec archive)"
                        : STATUS_LABEL[st]}
                    </option>
                  ))}
                </Select>
              </label>
              <label className="text-xs text-zinc-500 dark:text-zinc-400">
                Priority
                <Select
                  className="mt-1 block"
                  value={s.priority}
                  data-testid="priority-select"
                  onChange={(e) =>
                    setPriority.mutate({
                      id,
                      priority: e.target.value as (typeof PRIORITIES)[number],
                    })
                  }
                >
                  {PRIORITIES.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </Select>
              </label>
            </>
          ) : null}
          <Button
            variant="outline"
            onClick={() => syncOnce({ specId: id })}
            disabled={syncNow.isPending}
          >
            <RefreshCw className={cn("h-4 w-4", syncNow.isPending && "animate-spin")} aria-hidden />{" "}
            Sync now
          </Button>
        </Card>
      </div>
      {isChange ? (
        <LifecycleBar
          change={s}
          onOpenFile={(f) =>
            view.set({
              tab:
                f === "proposal.md"
                  ? null
                  : f === "tasks.md"
                    ? "tasks"
                    : f === "design.md"
                      ? "design"
                      : "deltas",
            })
          }
        />
      ) : null}
      {isChange && !s.archived ? <AgentsPanel id={id} projectId={s.projectId} /> : null}
      {isChange ? <ClaimHistory id={id} /> : null}
      {isChange && s.statusChangedAt ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Status set by {s.statusChangedBy ?? "?"} <RelativeTime at={s.statusChangedAt} />
        </p>
      ) : null}

      {removed ? (
        <Card
          className="border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300"
          role="alert"
          data-testid="removed-on-disk"
        >
          <strong>This {isChange ? "change" : "spec"} was removed on disk</strong> (its folder was
          deleted, or moved away by a git checkout or stash). What is shown is its last version.
          Text you are editing stays in the editor: copy it, or keep it in History.
        </Card>
      ) : null}
      {s.conflict ? (
        <Card
          className="border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950"
          data-testid="conflict-banner"
        >
          <strong>Conflict on {s.conflict.files.join(", ")}.</strong> The file on disk (modified{" "}
          <LocalTime at={s.conflict.fsModifiedAt} />) won over the database edit (modified{" "}
          <LocalTime at={s.conflict.dbModifiedAt} />
          ). The database version is kept in history.
          <div className="mt-2 flex gap-2">
            <Button
              size="sm"
              variant="outline"
              onClick={() => resolveOnce({ specId: id, resolution: "filesystem_wins" })}
            >
              Keep disk version
            </Button>
            <Button
              size="sm"
              variant="destructive"
              onClick={() => resolveOnce({ specId: id, resolution: "db_wins" })}
            >
              Restore database version
            </Button>
          </div>
        </Card>
      ) : null}
      {s.syncError ? (
        <Card className="border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300">
          Sync error: {s.syncError}
        </Card>
      ) : null}
      {s.parseError ? (
        <Card className="border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-900 dark:bg-amber-950">
          The OpenSpec CLI would report: {s.parseError}
        </Card>
      ) : null}

      <div
        role="tablist"
        aria-label="Documents"
        className="flex flex-wrap gap-x-1 border-b border-zinc-200 dark:border-zinc-800"
      >
        {tabs.map((t) => (
          <BareButton
            key={t}
            role="tab"
            type="button"
            aria-selected={tab === t}
            data-testid={`tab-${t}`}
            onClick={() => view.set({ tab: t === tabs[0] ? null : t })}
            className={cn(
              "-mb-px shrink-0 border-b-2 px-3 py-2 text-sm whitespace-nowrap",
              tab === t
                ? "border-indigo-600 font-medium"
                : "border-transparent text-zinc-500 dark:text-zinc-400 hover:text-zinc-900 dark:hover:text-zinc-100",
            )}
          >
            {label[t]}
          </BareButton>
        ))}
      </div>
      <Card className="min-w-0 p-3 sm:p-5" role="tabpanel">
        {tab === "proposal" ? (
          <FilePanel
            key="p"
            specId={id}
            removed={removed}
            file="proposal.md"
            content={s.files["proposal.md"]}
            hash={s.contentHashes["proposal.md"]}
            findings={findingsOf("proposal.md")}
            startWith={
              view.get("edit") === "proposal.md" && s.files["proposal.md"] === undefined
                ? proposalTemplate(s.name, s.meta)
                : undefined
            }
          />
        ) : null}
        {tab === "spec" ? (
          <FilePanel
            key="s"
            specId={id}
            removed={removed}
            file="spec.md"
            content={s.files["spec.md"]}
            hash={s.contentHashes["spec.md"]}
          />
        ) : null}
        {tab === "design" ? (
          <FilePanel
            key="d"
            specId={id}
            removed={removed}
            file="design.md"
            content={s.files["design.md"]}
            hash={s.contentHashes["design.md"]}
            emptyHint="This change has no design.md. Create one to record technical decisions."
            findings={findingsOf("design.md")}
          />
        ) : null}
        {/* One list: the checkboxes are the rendered tasks.md; Edit opens the file itself. */}
        {tab === "tasks" ? (
          <FilePanel
            key="t"
            specId={id}
            removed={removed}
            file="tasks.md"
            content={s.files["tasks.md"]}
            hash={s.contentHashes["tasks.md"]}
            findings={findingsOf("tasks.md")}
            view={<TasksPanel specId={id} tasks={s.tasks} hash={s.contentHashes["tasks.md"]} />}
          />
        ) : null}
        {tab === "deltas" ? (
          deltaFiles.length === 0 ? (
            <p className="py-8 text-center text-sm text-zinc-500 dark:text-zinc-400">
              No delta specs.
            </p>
          ) : (
            <div className="space-y-8">
              {deltaFiles.map((f) => (
                <section key={f} className="min-w-0">
                  <h2 className="mb-2 font-mono text-sm wrap-anywhere text-zinc-500 dark:text-zinc-400">
                    {f}
                  </h2>
                  <FilePanel
                    key={f}
                    specId={id}
                    removed={removed}
                    file={f}
                    content={s.files[f]}
                    hash={s.contentHashes[f]}
                    findings={findingsOf(f)}
                  />
                </section>
              ))}
            </div>
          )
        ) : null}
        {tab === "history" ? <HistoryPanel specId={id} files={s.files} /> : null}
      </Card>
    </div>
  );
}
