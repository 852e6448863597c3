"use client";
import { LIFECYCLE_STATUSES, PRIORITIES } from "@specsync/validators";
import { useQuery } from "@tanstack/react-query";
import { ArrowRight, Search } from "lucide-react";
import Link from "next/link";
import { useEffect } from "react";
import { ClaimBadge, OverlapWarning } from "~/components/agents/claim-badge";
import { NewChangeButton } from "~/components/lifecycle/new-change-button";
import { StageBadge, ValidationBadge } from "~/components/lifecycle/stage-badges";
import { refetchWhileCatchingUp, SearchCatchingUp } from "~/components/search-catching-up";
import { PriorityBadge, StatusBadge, SyncState } from "~/components/spec-badges";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Input, Select } from "~/components/ui/input";
import { Progress } from "~/components/ui/progress";
import { useSpecHref } from "~/components/use-spec-href";
import { useUrlSyncedInput } from "~/components/use-url-input";
import { useViewParams } from "~/components/use-view-params";
import { useTRPC } from "~/lib/trpc";
import { cn, STATUS_LABEL, visibleName } from "~/lib/utils";
import { changesListInput, changesView, lastPage } from "~/lib/view-input";

const SORTS = [
  ["updated", "Recently updated"],
  ["priority", "Priority"],
  ["status", "Status"],
  ["completion", "Completion"],
  ["name", "Name"],
  ["created", "Created"],
] as const;

export function ChangesList() {
  const trpc = useTRPC();
  const view = useViewParams();
  const v = changesView(view.get);
  const { page, archived } = v;
  const input = changesListInput(v);
  const list = useQuery(
    trpc.specs.list.queryOptions(input, {
      placeholderData: (prev) => prev,
      refetchInterval: refetchWhileCatchingUp,
    }),
  );
  const projects = useQuery(trpc.projects.list.queryOptions());
  const next = useQuery(trpc.specs.next.queryOptions({ projectId: input.projectId }));
  const hrefOf = useSpecHref();
  const overlapMap = useQuery(trpc.agents.overlapMap.queryOptions({ projectId: input.projectId }));
  const projectName = (id: string) => projects.data?.find((p) => p.id === id)?.name ?? "";
  const total = list.data?.facets?.total;
  const refiltering = list.isPlaceholderData && list.isFetching;
  // A page past the end (a stale link, rows archived meanwhile) shows the last page instead of "no
  // match". The search box is uncontrolled (typing must not wait for the URL); Back/Forward still
  // update it.
  const searchBox = useUrlSyncedInput("q", v.q, view.setQuery);
  const setView = view.set;
  useEffect(() => {
    if (total !== undefined && !list.isPlaceholderData && page > lastPage(total))
      setView({ page: lastPage(total) ? String(lastPage(total) + 1) : null }, { replace: true });
  }, [total, page, list.isPlaceholderData, setView]);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="flex items-center gap-3 text-2xl font-semibold">
            Changes <NewChangeButton />
          </h1>
          <p className="text-sm text-zinc-500 dark:text-zinc-400" data-testid="match-count">
            {total !== undefined
              ? `${total} ${total === 1 ? "change matches" : "changes match"}`
              : " "}
            {/* The rows shown are the previous filter's until the new answer arrives: say so. */}
            {refiltering ? (
              <span className="ml-2 text-xs text-zinc-500 dark:text-zinc-400" role="status">
                updating…
              </span>
            ) : null}
          </p>
        </div>
        {next.data ? (
          <Link
            href={hrefOf(next.data)}
            className="flex min-w-0 items-center gap-2 rounded-lg border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm hover:bg-indigo-100 dark:border-indigo-900 dark:bg-indigo-950 dark:hover:bg-indigo-900"
            data-testid="next-up"
          >
            <span className="text-indigo-700 dark:text-indigo-300">Next up:</span>{" "}
            <span className="truncate font-medium">{next.data.title}</span>
            <ArrowRight className="h-4 w-4" aria-hidden />
          </Link>
        ) : null}
      </div>

      <Card className="flex flex-wrap items-center gap-2 p-3">
        <label className="relative basis-full sm:min-w-56 sm:flex-1 sm:basis-0">
          <span className="sr-only">Search</span>
          <Search
            className="pointer-events-none absolute top-2.5 left-2.5 h-4 w-4 text-zinc-400"
            aria-hidden
          />
          <Input
            ref={searchBox.ref}
            data-testid="search"
            className="w-full pl-8"
            placeholder="Search titles and content…"
            defaultValue={view.get("q") ?? ""}
            onChange={searchBox.onChange}
          />
        </label>
        <Select
          aria-label="Project"
          value={v.projectId ?? ""}
          onChange={(e) => view.set({ project: e.target.value })}
        >
          <option value="">All projects</option>
          {projects.data?.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </Select>
        <Select
          aria-label="Status"
          data-testid="filter-status"
          value={v.status ?? ""}
          onChange={(e) => view.set({ status: e.target.value })}
        >
          <option value="">Any status</option>
          {LIFECYCLE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}{" "}
              {list.data?.facets?.status[s] ? `(${list.data.facets.status[s]})` : ""}
            </option>
          ))}
        </Select>
        <Select
          aria-label="Priority"
          value={v.priority ?? ""}
          onChange={(e) => view.set({ priority: e.target.value })}
        >
          <option value="">Any priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </Select>
        <Select
          aria-label="Archived"
          data-testid="filter-archived"
          value={archived}
          onChange={(e) =>
            view.set({ archived: e.target.value === "active" ? null : e.target.value })
          }
        >
          <option value="active">Active</option>
          <option value="archived">Archived</option>
          <option value="all">Active + archived</option>
        </Select>
        <Select
          aria-label="Claimed"
          data-testid="filter-claimed"
          value={v.claimed ?? ""}
          onChange={(e) => view.set({ claimed: e.target.value })}
        >
          <option value="">Claimed or not</option>
          <option value="yes">Claimed</option>
          <option value="no">Not claimed</option>
        </Select>
        <Select
          aria-label="Minimum completion"
          value={v.min === undefined ? "" : String(v.min)}
          onChange={(e) => view.set({ min: e.target.value })}
        >
          <option value="">Any progress</option>
          <option value="50">≥ 50 % done</option>
          <option value="80">≥ 80 % done</option>
          <option value="100">Complete</option>
        </Select>
        <Select
          aria-label="Validation"
          data-testid="filter-validation"
          value={view.get("invalid") ?? ""}
          onChange={(e) => view.set({ invalid: e.target.value })}
        >
          <option value="">Any validation</option>
          <option value="1">With validation errors</option>
        </Select>
        <Select
          aria-label="Sort"
          value={input.sort}
          onChange={(e) => view.set({ sort: e.target.value })}
        >
          {SORTS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </Select>
      </Card>

      <SearchCatchingUp pending={list.data?.searchPending} noun="change" />
      <Card
        className={cn("overflow-x-auto transition-opacity", refiltering && "opacity-60")}
        id="content"
        tabIndex={-1}
        aria-busy={refiltering}
        data-testid="changes-card"
      >
        <table className="w-full text-sm">
          <thead className="border-b border-zinc-200 text-left text-xs text-zinc-500 dark:text-zinc-400 uppercase dark:border-zinc-800">
            <tr>
              <th className="px-3 py-2 font-medium sm:px-4">Change</th>
              <th className="px-2 py-2 font-medium">Status</th>
              <th className="hidden px-2 py-2 font-medium sm:table-cell">Priority</th>
              <th className="px-2 py-2 font-medium">Tasks</th>
              <th className="hidden px-4 py-2 font-medium md:table-cell">Synced</th>
            </tr>
          </thead>
          <tbody data-testid="changes-table">
            {list.isPending ? (
              <tr>
                <td colSpan={5} className="px-4 py-8 text-center text-zinc-500 dark:text-zinc-400">
                  Loading changes…
                </td>
              </tr>
            ) : list.error ? (
              <tr>
                <td colSpan={5} className="px-4 py-8 text-center text-red-600 dark:text-red-400">
                  Could not load changes: {list.error.message}
                </td>
              </tr>
            ) : list.data.items.length === 0 ? (
              <tr>
                <td colSpan={5} className="px-4 py-8 text-center text-zinc-500 dark:text-zinc-400">
                  No changes match these filters.
                </td>
              </tr>
            ) : (
              list.data.items.map((c) => (
                <tr
                  key={c.id}
                  data-testid="change-row"
                  data-name={c.name}
                  className="border-b border-zinc-100 last:border-0 hover:bg-zinc-50 dark:border-zinc-800/60 dark:hover:bg-zinc-800/40"
                >
                  <td className="px-3 py-2.5 sm:px-4">
                    <Link
                      href={hrefOf(c)}
                      className="font-medium break-words hover:underline"
                      data-testid="change-title"
                    >
                      {c.title}
                    </Link>
                    <div
                      className="text-xs break-words text-zinc-500 dark:text-zinc-400"
                      data-testid="change-subtitle"
                    >
                      {/* A proposal without a heading is titled by its folder name: say it once. */}
                      {[
                        c.title !== c.name ? visibleName(c.name) : null,
                        projects.data && projects.data.length > 1 ? projectName(c.projectId) : null,
                        c.archivedOn ? `archived ${c.archivedOn}` : null,
                      ]
                        .filter(Boolean)
                        .join(" · ")}
                    </div>
                    <div className="flex flex-wrap gap-2">
                      <ClaimBadge claimedBy={c.claimedBy} claimedAt={c.claimedAt} />
                      <OverlapWarning names={overlapMap.data?.[c.id]} />
                    </div>
                  </td>
                  <td className="px-2">
                    <div className="flex flex-wrap items-center gap-1">
                      <StatusBadge status={c.status} />
                      <StageBadge {...c} />
                      <ValidationBadge
                        errors={c.validationErrors}
                        warnings={c.validationWarnings}
                      />
                    </div>
                  </td>
                  <td className="hidden px-2 sm:table-cell">
                    <PriorityBadge priority={c.priority} />
                  </td>
                  <td className="px-2">
                    {c.tasksTotal ? (
                      <Progress
                        value={c.completion}
                        label={`${c.tasksCompleted}/${c.tasksTotal}`}
                      />
                    ) : (
                      <span className="text-xs text-zinc-500 dark:text-zinc-400">no tasks</span>
                    )}
                  </td>
                  <td className="hidden px-4 md:table-cell">
                    <SyncState {...c} />
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </Card>
      <div className="flex items-center justify-end gap-2">
        <Button
          variant="outline"
          size="sm"
          disabled={page === 0}
          onClick={() =>
            view.set({ page: page - 1 > 0 ? String(page) : null }, { scrollTop: true })
          }
        >
          Previous
        </Button>
        <span className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="page-label">
          page {page + 1}
          {total !== undefined ? ` of ${lastPage(total) + 1}` : ""}
        </span>
        <Button
          variant="outline"
          size="sm"
          disabled={!list.data?.nextCursor}
          onClick={() => view.set({ page: String(page + 2) }, { scrollTop: true })}
        >
          Next
        </Button>
      </div>
    </div>
  );
}
