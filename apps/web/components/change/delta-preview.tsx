"use client";
import type { ArchivePreview, RequirementChange } from "@specsync/api";
import { diffLines } from "diff";
import { Badge, type Tone } from "~/components/ui/badge";
import { cn } from "~/lib/utils";

const OP_TONE: Record<RequirementChange["op"], Tone> = {
  ADDED: "green",
  MODIFIED: "amber",
  REMOVED: "red",
  RENAMED: "violet",
};

/** A line diff of one requirement: now in the main spec → after archive. */
function RequirementDiff({ before, after }: { before: string | null; after: string | null }) {
  const parts = diffLines(before ?? "", after ?? "");
  return (
    <pre className="overflow-x-auto rounded-md bg-zinc-50 p-2 font-mono text-xs leading-5 whitespace-pre-wrap dark:bg-zinc-900">
      {parts.map((p, i) => (
        <span
          // biome-ignore lint/suspicious/noArrayIndexKey: diff parts have no id; the list is recomputed whole
          key={i}
          className={cn(
            p.added &&
              "block bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200",
            p.removed &&
              "block bg-red-100 text-red-900 line-through decoration-red-400/60 dark:bg-red-950 dark:text-red-200",
          )}
          data-diff={p.added ? "added" : p.removed ? "removed" : "same"}
        >
          {p.value}
        </span>
      ))}
    </pre>
  );
}

/**
 * What `openspec archive` will do to each main spec, requirement by requirement (computed with
 * its own rules).
 */
export function DeltaPreview({ preview }: { preview: ArchivePreview }) {
  if (preview.specs.length === 0)
    return (
      <p className="text-sm text-zinc-500 dark:text-zinc-400">
        No delta specs: archiving moves the change folder and touches no main spec.
      </p>
    );
  return (
    <div className="space-y-5" data-testid="delta-preview">
      {preview.specs.map((spec) => (
        <section
          key={spec.capability}
          className="space-y-2"
          data-testid="preview-spec"
          data-capability={spec.capability}
        >
          <h3 className="flex flex-wrap items-center gap-2 text-sm font-medium">
            <span className="font-mono">openspec/{spec.file}</span>
            {spec.isNew ? <Badge tone="green">new spec</Badge> : null}
            <span className="text-xs text-zinc-500 dark:text-zinc-400">
              {spec.counts.added} added · {spec.counts.modified} modified · {spec.counts.removed}{" "}
              removed · {spec.counts.renamed} renamed
            </span>
          </h3>
          {spec.error ? (
            <p
              className="rounded-md border border-red-300 bg-red-50 p-2 text-sm wrap-anywhere text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300"
              data-testid="preview-error"
            >
              Archive would refuse this delta: {spec.error}
            </p>
          ) : null}
          {spec.warnings.map((w) => (
            <p key={w} className="text-xs text-amber-700 dark:text-amber-400">
              ⚠ {w}
            </p>
          ))}
          <ul className="space-y-3">
            {spec.requirements.map((r) => (
              <li
                key={`${r.op}:${r.from ?? ""}:${r.name}`}
                data-testid="preview-requirement"
                data-op={r.op}
              >
                <div className="mb-1 flex flex-wrap items-center gap-2 text-sm">
                  <Badge tone={OP_TONE[r.op]}>{r.op}</Badge>
                  <span className="font-medium">{r.from ? `${r.from} → ${r.name}` : r.name}</span>
                </div>
                {r.op === "ADDED" ? <RequirementDiff before={null} after={r.after} /> : null}
                {r.op === "REMOVED" ? <RequirementDiff before={r.before} after={null} /> : null}
                {r.op === "MODIFIED" || r.op === "RENAMED" ? (
                  <RequirementDiff before={r.before} after={r.after} />
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
