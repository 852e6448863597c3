"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { X } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { ClaimBadge } from "~/components/agents/claim-badge";
import { BareButton, Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Select } from "~/components/ui/input";
import { useToast } from "~/components/ui/toaster";
import { useSingleFlight } from "~/components/use-single-flight";
import { useSpecHref } from "~/components/use-spec-href";
import { humanError } from "~/lib/human-error";
import { useTRPC } from "~/lib/trpc";
import { visibleName } from "~/lib/utils";

/** Claim, dependencies (editable) and derived overlaps of one change. */
export function AgentsPanel({ id, projectId }: { id: string; projectId: string }) {
  const trpc = useTRPC();
  const hrefOf = useSpecHref();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [adding, setAdding] = useState("");
  const deps = useQuery(trpc.agents.dependencies.queryOptions({ id }));
  const overlaps = useQuery(trpc.agents.overlaps.queryOptions({ id }));
  const claim = useQuery(trpc.agents.claimOf.queryOptions({ id }));
  const candidates = useQuery(
    trpc.specs.list.queryOptions({
      projectId,
      kind: "change",
      archived: false,
      sort: "name",
      limit: 200,
    }),
  );
  const invalidate = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
  };
  const onError = (err: { message: string }) =>
    toast({ tone: "error", title: "Not saved", body: humanError(err) });
  const add = useMutation(
    trpc.agents.addDependency.mutationOptions({
      onSuccess: () => (setAdding(""), invalidate()),
      onError,
    }),
  );
  const remove = useMutation(
    trpc.agents.removeDependency.mutationOptions({ onSuccess: invalidate, onError }),
  );
  const addOnce = useSingleFlight(add);
  const removeOnce = useSingleFlight(remove);
  const taken = new Set([id, ...(deps.data?.dependsOn.map((d) => d.id) ?? [])]);

  return (
    // One column of minmax(0, 1fr) below md: a long change name in the select must not widen the
    // card (at 375 px it pushed "Add" off-screen and widened the whole page).
    <Card className="grid grid-cols-1 gap-4 p-4 text-sm md:grid-cols-3" data-testid="agents-panel">
      <section className="min-w-0">
        <h2 className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400 uppercase">
          Claim
        </h2>
        {claim.data ? (
          <ClaimBadge claimedBy={claim.data.owner} claimedAt={claim.data.claimedAt} />
        ) : (
          <span className="text-zinc-500 dark:text-zinc-400">Not claimed</span>
        )}
      </section>
      <section className="min-w-0" data-testid="dependencies">
        <h2 className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400 uppercase">
          Depends on
        </h2>
        {deps.data?.blockedBy.length ? (
          <p className="mb-1 text-amber-700 dark:text-amber-400" data-testid="blocked">
            Blocked until archived: {deps.data.blockedBy.join(", ")}
          </p>
        ) : null}
        <ul className="space-y-1">
          {deps.data?.dependsOn.map((d) => (
            <li key={d.id} className="flex flex-wrap items-center gap-2" data-testid="dependency">
              <Link
                href={
                  d.archived
                    ? `/changes/${d.id}` /* redirects to its archive folder */
                    : hrefOf({
                        id: d.id,
                        projectId,
                        kind: "change",
                        name: d.name,
                        path: "",
                        archived: false,
                      })
                }
                className="hover:underline"
              >
                {visibleName(d.name)}
              </Link>
              <span className="text-xs text-zinc-500 dark:text-zinc-400">
                {d.archived ? "archived" : d.status}
              </span>
              <BareButton
                type="button"
                aria-label={`remove dependency on ${d.name}`}
                className="text-zinc-400 hover:text-red-600"
                onClick={() => removeOnce({ id, dependsOn: d.id })}
              >
                <X className="h-3.5 w-3.5" aria-hidden />
              </BareButton>
            </li>
          ))}
        </ul>
        <div className="mt-2 flex flex-wrap gap-2">
          <Select
            className="w-0 min-w-0 flex-1 basis-40"
            aria-label="Add dependency"
            data-testid="dependency-select"
            value={adding}
            onChange={(e) => setAdding(e.target.value)}
          >
            <option value="">Add a dependency…</option>
            {candidates.data?.items
              .filter((c) => !taken.has(c.id))
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {visibleName(c.name)}
                </option>
              ))}
          </Select>
          <Button
            size="sm"
            variant="outline"
            disabled={!adding || add.isPending}
            onClick={() => addOnce({ id, dependsOn: adding })}
            data-testid="dependency-add"
          >
            Add
          </Button>
        </div>
        {deps.data?.dependents.length ? (
          <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
            Needed by: {deps.data.dependents.map((d) => d.name).join(", ")}
          </p>
        ) : null}
      </section>
      <section className="min-w-0 break-words" data-testid="overlaps">
        <h2 className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400 uppercase">
          Overlaps
        </h2>
        {overlaps.data?.length ? (
          <ul className="space-y-1">
            {overlaps.data.map((o) => (
              <li key={o.id} data-testid="overlap">
                <Link
                  href={hrefOf({
                    id: o.id,
                    projectId,
                    kind: "change",
                    name: o.name,
                    path: "",
                    archived: false,
                  })}
                  className="font-medium hover:underline"
                >
                  {visibleName(o.name)}
                </Link>{" "}
                <span className="text-xs text-zinc-500 dark:text-zinc-400">
                  {o.requirements.map((r) => `${r.capability}: ${r.requirement}`).join("; ")}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <span className="text-zinc-500 dark:text-zinc-400">
            {overlaps.isPending ? "…" : "No other active change touches the same requirements"}
          </span>
        )}
      </section>
    </Card>
  );
}
