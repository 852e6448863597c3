"use client";
import type { ValidationResult } from "@specsync/validators";
import { BareButton } from "~/components/ui/button";
import { RelativeTime } from "~/components/ui/time";

/** The findings of the last `openspec validate --strict`, each at its file and line. */
export function ValidationPanel({
  validation,
  stale,
  onOpen,
}: {
  validation: ValidationResult | null;
  stale: boolean;
  onOpen: (file: string) => void;
}) {
  if (!validation) return null;
  const { findings } = validation;
  return (
    <div
      className="rounded-md border border-zinc-200 p-3 text-sm dark:border-zinc-800"
      data-testid="validation-panel"
    >
      <p className="mb-1 text-xs text-zinc-500 dark:text-zinc-400">
        openspec validate --strict <RelativeTime at={validation.validatedAt} />:{" "}
        {validation.valid ? (
          <strong className="text-emerald-700 dark:text-emerald-400">valid</strong>
        ) : (
          <strong className="text-red-700 dark:text-red-400">
            {validation.errors} {validation.errors === 1 ? "error" : "errors"}
          </strong>
        )}
        {validation.warnings ? `, ${validation.warnings} warnings` : ""}
        {stale ? " · the files changed since" : ""}
      </p>
      {findings.length ? (
        <ul className="space-y-1">
          {findings.map((f, i) => (
            <li
              // biome-ignore lint/suspicious/noArrayIndexKey: findings have no id; the list is replaced whole
              key={i}
              className="flex gap-2"
              data-testid="validation-finding"
              data-level={f.level}
            >
              <span
                className={
                  f.level === "ERROR"
                    ? "text-red-600 dark:text-red-400"
                    : f.level === "WARNING"
                      ? "text-amber-600"
                      : "text-zinc-500 dark:text-zinc-400"
                }
              >
                {f.level === "ERROR" ? "✗" : f.level === "WARNING" ? "⚠" : "ℹ"}
              </span>
              {f.file ? (
                <BareButton
                  type="button"
                  className="shrink-0 font-mono text-xs text-indigo-700 hover:underline dark:text-indigo-300"
                  onClick={() => onOpen(f.file ?? "")}
                >
                  {f.file}
                  {f.line ? `:${f.line}` : ""}
                </BareButton>
              ) : (
                <span className="shrink-0 font-mono text-xs text-zinc-500 dark:text-zinc-400">
                  change
                </span>
              )}
              <span className="min-w-0 break-words">{f.message}</span>
            </li>
          ))}
          {validation.notShown ? (
            <li className="text-zinc-500 dark:text-zinc-400" data-testid="validation-not-shown">
              … {validation.notShown} more findings not shown
            </li>
          ) : null}
        </ul>
      ) : null}
    </div>
  );
}
