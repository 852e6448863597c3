"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { LIFECYCLE_STATUSES } from "@specsync/validators";
import { useTRPC } from "~/lib/trpc";
import { Card } from "~/components/ui/card";
import { Progress } from "~/components/ui/progress";
import { PriorityBadge } from "~/components/spec-badges";
import { STATUS_LABEL } from "~/lib/utils";
import { useSpecHref } from "~/components/use-spec-href";

const COLUMNS = LIFECYCLE_STATUSES.filter((s) => s !== "archived");

/** Active changes by lifecycle status, highest priority first. */
export default function BoardPage() {
  const trpc = useTRPC();
  const hrefOf = useSpecHref();
  const list = useQuery(trpc.specs.list.queryOptions({ kind: "change", archived: false, sort: "priority", limit: 200 }));
  return (
    <div className="space-y-4" id="content" tabIndex={-1}>
      <h1 className="text-2xl font-semibold">Board</h1>
      {list.isPending ? <p className="text-sm text-zinc-500">Loading…</p> : null}
      <div className="grid gap-3 md:grid-cols-3 xl:grid-cols-6">
        {COLUMNS.map((status) => {
          const items = list.data?.items.filter((i) => i.status === status) ?? [];
          return (
            <section key={status} aria-label={STATUS_LABEL[status]} data-testid={`column-${status}`} className="rounded-lg bg-zinc-100 p-2 dark:bg-zinc-900/60">
              <h2 className="mb-2 flex justify-between px-1 text-xs font-semibold text-zinc-500 uppercase">
                {STATUS_LABEL[status]} <span>{items.length}</span>
              </h2>
              <div className="space-y-2">
                {items.map((c) => (
                  <Link key={c.id} href={hrefOf(c)} className="block">
                    <Card className="space-y-2 p-2.5 text-sm hover:border-indigo-400">
                      <div className="font-medium break-words">{c.title}</div>
                      <div className="flex min-w-0 flex-wrap items-center justify-between gap-x-2 gap-y-1">
                        <PriorityBadge priority={c.priority} />
                        {c.tasksTotal ? <Progress value={c.completion} label={`${c.tasksCompleted}/${c.tasksTotal}`} /> : null}
                      </div>
                    </Card>
                  </Link>
                ))}
                {items.length === 0 ? <p className="px-1 py-4 text-center text-xs text-zinc-400">Empty</p> : null}
              </div>
            </section>
          );
        })}
      </div>
    </div>
  );
}
