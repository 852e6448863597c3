"use client";
import type { ValidationResult } from "@specsync/validators";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { humanError } from "~/lib/human-error";
import { useTRPC } from "~/lib/trpc";

type Change = {
  id: string;
  tasksTotal: number;
  tasksCompleted: number;
  validation: ValidationResult | null;
};

/**
 * What `openspec archive` without `--yes` would warn about (open tasks, validation findings),
 * shown before the person confirms: the UI passes `--yes` for them. A missing or stale
 * validation is run when the dialog opens.
 */
export function ArchiveWarnings({ change, stale }: { change: Change; stale: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const validate = useMutation(
    trpc.changes.validate.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() }),
    }),
  );
  const needed = !change.validation || stale;
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per dialog, when needed
  useEffect(() => {
    if (needed) validate.mutate({ id: change.id });
  }, []);
  const open = change.tasksTotal - change.tasksCompleted;
  const v = change.validation;
  const findings = v?.findings.filter((f) => f.level === "ERROR" || f.level === "WARNING") ?? [];
  return (
    <div className="space-y-1 text-sm" data-testid="archive-warnings">
      {open > 0 ? (
        <p className="text-amber-700 dark:text-amber-400" data-testid="archive-open-tasks">
          ⚠ {open} of {change.tasksTotal} {change.tasksTotal === 1 ? "task is" : "tasks are"} not
          done ({change.tasksCompleted}/{change.tasksTotal}).
        </p>
      ) : null}
      {validate.isPending ? (
        <p className="text-zinc-500 dark:text-zinc-400">Checking with openspec validate…</p>
      ) : validate.error ? (
        <p className="wrap-anywhere text-red-600 dark:text-red-400">
          Could not validate: {humanError(validate.error)}
        </p>
      ) : v && (v.errors || v.warnings) ? (
        <div data-testid="archive-findings">
          <p
            className={
              v.errors ? "text-red-700 dark:text-red-400" : "text-amber-700 dark:text-amber-400"
            }
          >
            openspec validate: {v.errors} {v.errors === 1 ? "error" : "errors"}, {v.warnings}{" "}
            {v.warnings === 1 ? "warning" : "warnings"}
            {v.errors ? " (archive stops on errors)" : ""}
            {stale ? " · from an earlier version of the files" : ""}
          </p>
          <ul className="ml-4 list-disc text-xs text-zinc-600 dark:text-zinc-400">
            {findings.slice(0, 8).map((f, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: findings have no id; the list is replaced whole
              <li key={i} className="wrap-anywhere">
                {f.level === "ERROR" ? "✗" : "⚠"}{" "}
                {f.file ? `${f.file}${f.line ? `:${f.line}` : ""} ` : ""}
                {f.message}
              </li>
            ))}
            {/* The counts are exact; the kept findings may be fewer (the first 200 of each level). */}
            {v.errors + v.warnings > 8 ? <li>… and {v.errors + v.warnings - 8} more</li> : null}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
