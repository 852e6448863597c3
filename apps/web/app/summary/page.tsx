"use client";
import { CHANGE_STAGES, PICKABLE_STATUSES } from "@specsync/validators";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { STAGE_LABEL, ValidationBadge } from "~/components/lifecycle/stage-badges";
import { PriorityBadge, StatusBadge } from "~/components/spec-badges";
import { Card } from "~/components/ui/card";
import { Progress } from "~/components/ui/progress";
import { useSpecHref } from "~/components/use-spec-href";
import { useTRPC } from "~/lib/trpc";
import { STATUS_LABEL, visibleName } from "~/lib/utils";

function Stat({
  label,
  value,
  testId,
}: {
  label: string;
  value: string | number;
  testId?: string;
}) {
  return (
    <Card className="p-4">
      <div className="text-xs text-zinc-500 dark:text-zinc-400 uppercase">{label}</div>
      <div className="mt-1 text-2xl font-semibold" data-testid={testId}>
        {value}
      </div>
    </Card>
  );
}

/** `openspec view`, live: refreshed by the event stream like every other page. */
export default function SummaryPage() {
  const trpc = useTRPC();
  const summary = useQuery(trpc.changes.summary.queryOptions());
  const hrefOf = useSpecHref();
  if (summary.isPending)
    return <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>;
  if (summary.error)
    return (
      <p className="wrap-anywhere text-red-600 dark:text-red-400">
        Could not load: {summary.error.message}
      </p>
    );
  const s = summary.data;
  const pct = s.tasks.total ? Math.round((s.tasks.completed / s.tasks.total) * 100) : 0;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Summary</h1>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Specifications" value={s.specs.specs} testId="summary-specs" />
        <Stat label="Requirements" value={s.specs.requirements} testId="summary-requirements" />
        <Stat
          label="Active changes"
          value={(s.byStage.draft ?? 0) + (s.byStage.in_progress ?? 0) + (s.byStage.complete ?? 0)}
          testId="summary-active"
        />
        <Card className="p-4">
          <div className="text-xs text-zinc-500 dark:text-zinc-400 uppercase">
            Task progress (active)
          </div>
          <div className="mt-2">
            <Progress value={pct} label={`${s.tasks.completed}/${s.tasks.total} (${pct} %)`} />
          </div>
        </Card>
      </div>
      <div className="grid gap-4 md:grid-cols-2">
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold">Changes per stage (from the files)</h2>
          <ul className="space-y-1 text-sm" data-testid="summary-stages">
            {CHANGE_STAGES.map((st) => (
              <li key={st} className="flex justify-between" data-stage={st}>
                <span>{STAGE_LABEL[st]}</span>
                <span>{s.byStage[st] ?? 0}</span>
              </li>
            ))}
          </ul>
        </Card>
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold">Active changes per status</h2>
          <ul className="space-y-1 text-sm" data-testid="summary-statuses">
            {PICKABLE_STATUSES.map((st) => (
              <li key={st} className="flex justify-between">
                <span>{STATUS_LABEL[st]}</span>
                <span>{s.byStatus[st] ?? 0}</span>
              </li>
            ))}
          </ul>
        </Card>
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold">
            Validation errors ({s.validationErrors.length})
          </h2>
          {s.validationErrors.length ? (
            <ul className="space-y-1 text-sm" data-testid="summary-invalid">
              {s.validationErrors.map((c) => (
                <li key={c.id} className="flex items-center justify-between gap-2">
                  <Link href={hrefOf(c)} className="hover:underline">
                    {visibleName(c.name)}
                  </Link>
                  <ValidationBadge errors={c.validationErrors} />
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">
              None found by the last validations.
            </p>
          )}
        </Card>
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold">
            Status disagrees with the files ({s.mismatched.length})
          </h2>
          {s.mismatched.length ? (
            <ul className="space-y-1 text-sm" data-testid="summary-mismatched">
              {s.mismatched.map((c) => (
                <li key={c.id}>
                  <Link href={hrefOf(c)} className="hover:underline">
                    {visibleName(c.name)}
                  </Link>{" "}
                  <span className="text-xs text-zinc-500 dark:text-zinc-400">— {c.mismatch}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">
              Every status agrees with its files.
            </p>
          )}
        </Card>
        <Card className="p-4 md:col-span-2">
          <h2 className="mb-2 text-sm font-semibold">Next in the queue</h2>
          {s.queue.length ? (
            <ol className="space-y-1 text-sm" data-testid="summary-queue">
              {s.queue.map((c) => (
                <li key={c.id} className="flex flex-wrap items-center gap-2">
                  <Link href={hrefOf(c)} className="font-medium hover:underline">
                    {c.title}
                  </Link>
                  <StatusBadge status={c.status} />
                  <PriorityBadge priority={c.priority} />
                </li>
              ))}
            </ol>
          ) : (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">
              Nothing approved or assigned is waiting.
            </p>
          )}
        </Card>
      </div>
    </div>
  );
}
