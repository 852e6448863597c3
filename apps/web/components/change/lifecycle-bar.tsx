"use client";
import type { ChangeStage, LifecycleStatus, ValidationResult } from "@specsync/validators";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Archive, CheckCircle2 } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { StageBadge } from "~/components/lifecycle/stage-badges";
import { Button } from "~/components/ui/button";
import { useToast } from "~/components/ui/toaster";
import { useSingleFlight } from "~/components/use-single-flight";
import { useViewParams } from "~/components/use-view-params";
import { humanError } from "~/lib/human-error";
import { useTRPC } from "~/lib/trpc";
import { visibleName } from "~/lib/utils";
import { ArchiveWarnings } from "./archive-warnings";
import { DeltaPreview } from "./delta-preview";
import { type ClaimRefusal, claimRefusalOf, ForceArchive } from "./force-archive";
import { ValidationPanel } from "./validation-panel";

type Change = {
  id: string;
  name: string;
  kind: string;
  archived: boolean;
  status: LifecycleStatus;
  stage: ChangeStage | null;
  tasksTotal: number;
  tasksCompleted: number;
  validation: ValidationResult | null;
  contentHashes: Record<string, string>;
};

const sameHashes = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Stage, Validate, Archive (with its preview) for one change. Choosing the status "archived"
 * opens the archive dialog (`?archive=1`).
 */
export function LifecycleBar({
  change,
  onOpenFile,
}: {
  change: Change;
  onOpenFile: (file: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const view = useViewParams();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
  const validate = useMutation(
    trpc.changes.validate.mutationOptions({
      onSuccess: (r) =>
        toast({
          tone: r.valid ? "info" : "error",
          title: r.valid
            ? `${change.name} is valid`
            : `${change.name}: ${r.errors} validation errors`,
          body: r.warnings ? `${r.warnings} warnings` : undefined,
        }),
      onError: (err) =>
        toast({ tone: "error", title: "Could not validate", body: humanError(err) }),
      onSettled: invalidate,
    }),
  );
  const validateOnce = useSingleFlight(validate);
  if (change.kind !== "change") return null;
  const archiveOpen = view.get("archive") === "1" && !change.archived;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-xs text-zinc-500 dark:text-zinc-400">Stage</span>
        <StageBadge {...change} />
        {!change.archived ? (
          <>
            <Button
              size="sm"
              variant="outline"
              onClick={() => validateOnce({ id: change.id })}
              disabled={validate.isPending}
              data-testid="validate-button"
            >
              <CheckCircle2 className="h-3.5 w-3.5" aria-hidden />{" "}
              {validate.isPending ? "Validating…" : "Validate"}
            </Button>
            <Button
              size="sm"
              variant="outline"
              onClick={() => view.set({ archive: "1" })}
              data-testid="archive-button"
            >
              <Archive className="h-3.5 w-3.5" aria-hidden /> Archive…
            </Button>
          </>
        ) : null}
      </div>
      <ValidationPanel
        validation={change.validation}
        stale={
          !!change.validation && !sameHashes(change.validation.contentHashes, change.contentHashes)
        }
        onOpen={onOpenFile}
      />
      {archiveOpen ? (
        <ArchiveDialog
          change={change}
          stale={
            !!change.validation &&
            !sameHashes(change.validation.contentHashes, change.contentHashes)
          }
          onClose={() => view.set({ archive: null })}
        />
      ) : null}
    </div>
  );
}

function ArchiveDialog({
  change,
  stale,
  onClose,
}: {
  change: Change;
  stale: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [skipSpecs, setSkipSpecs] = useState(false);
  const preview = useQuery(trpc.changes.preview.queryOptions({ id: change.id }, { staleTime: 0 }));
  // Someone else's live claim refused the archive: kept until the dialog closes, so the force
  // confirmation names whose claim it ends even while a retry runs.
  const [refusal, setRefusal] = useState<ClaimRefusal | null>(null);
  const archive = useMutation(
    trpc.changes.archive.mutationOptions({
      onSuccess: (r) => {
        toast({ tone: "info", title: `Archived ${change.name}`, body: r.message });
        onClose();
      },
      onError: (err) => {
        const next = claimRefusalOf(err);
        if (next) setRefusal(next);
      },
      onSettled: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
      },
    }),
  );
  const archiveOnce = useSingleFlight(archive);
  /**
   * Forces only the claim the person confirmed: the archive carries its owner and the server
   * refuses it if someone else holds the claim by then (shown to be confirmed again). Checked
   * there, in the archive's own step: a check here first would leave a gap before the request.
   */
  const force = (confirmed: ClaimRefusal) =>
    archiveOnce({ id: change.id, skipSpecs, force: true, expectedOwner: confirmed.owner });
  const dialog = useRef<HTMLDivElement>(null);
  // Focus goes back to Archive when a request ends: on a phone that scrolls it, and the refusal
  // just above it, into view even if the person scrolled away meanwhile.
  useEffect(() => {
    dialog.current?.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && !archive.isPending && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [archive.isPending, onClose]);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a backdrop click is a mouse shortcut; Escape closes for the keyboard
    <div
      className="fixed inset-0 z-50 flex items-start justify-center overflow-y-auto bg-black/40 p-4"
      onClick={(e) => e.target === e.currentTarget && !archive.isPending && onClose()}
    >
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby="archive-title"
        className="mt-10 w-full max-w-3xl space-y-4 rounded-lg bg-white p-5 shadow-xl dark:bg-zinc-950"
        data-testid="archive-dialog"
      >
        <h2 id="archive-title" className="text-lg font-semibold">
          Archive {visibleName(change.name)}?
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Runs{" "}
          <code className="font-mono">
            openspec archive {visibleName(change.name)} --yes{skipSpecs ? " --skip-specs" : ""}
          </code>
          : the change folder moves to <code className="font-mono">changes/archive/</code>
          {skipSpecs
            ? " and the main specs stay as they are."
            : " and its delta specs are applied to the main specs, as shown below."}
        </p>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={skipSpecs}
            onChange={(e) => setSkipSpecs(e.target.checked)}
            data-testid="skip-specs"
          />{" "}
          Skip spec updates (<code className="font-mono">--skip-specs</code>)
        </label>
        <div className={skipSpecs ? "opacity-40" : undefined}>
          {preview.isPending ? (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">
              Computing what archive will write…
            </p>
          ) : preview.error ? (
            <p
              className="text-sm wrap-anywhere text-red-600 dark:text-red-400"
              data-testid="preview-failed"
            >
              {humanError(preview.error)}
            </p>
          ) : (
            <DeltaPreview preview={preview.data} />
          )}
        </div>
        <ArchiveWarnings change={change} stale={stale} />
        {refusal ? (
          <ForceArchive
            name={change.name}
            refusal={refusal}
            pending={archive.isPending}
            onForce={() => force(refusal)}
          />
        ) : null}
        {archive.error && !claimRefusalOf(archive.error) ? (
          <p
            role="alert"
            className="rounded-md border border-red-300 bg-red-50 p-2 text-sm wrap-anywhere whitespace-pre-wrap text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300"
            data-testid="archive-error"
          >
            {humanError(archive.error)}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button variant="ghost" onClick={onClose} disabled={archive.isPending}>
            Cancel
          </Button>
          <Button
            variant="destructive"
            data-autofocus
            onClick={() => {
              setRefusal(null);
              archiveOnce({ id: change.id, skipSpecs });
            }}
            disabled={archive.isPending}
            data-testid="archive-confirm"
          >
            {archive.isPending ? "Archiving…" : "Archive"}
          </Button>
        </div>
      </div>
    </div>
  );
}
