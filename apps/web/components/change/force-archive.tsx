"use client";
import { Lock } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Button } from "~/components/ui/button";
import { LocalTime, RelativeTime } from "~/components/ui/time";

/**
 * Whose live claim refused an archive: the API's CONFLICT details (claims-service). `changed`: a
 * force was refused because the claim it confirmed had changed hands (details.expectedOwner).
 */
export type ClaimRefusal = { owner: string; expiresAt: string; changed: boolean };

/** The refusal in an archive error, or null when it failed for another reason. */
export function claimRefusalOf(err: unknown): ClaimRefusal | null {
  const data = (err as { data?: { code?: unknown; details?: unknown } } | null)?.data;
  const d = data?.details as
    | { owner?: unknown; expiresAt?: unknown; expectedOwner?: unknown }
    | null
    | undefined;
  if (data?.code !== "CONFLICT" || typeof d?.owner !== "string") return null;
  if (typeof d.expiresAt !== "string") return null;
  return { owner: d.owner, expiresAt: d.expiresAt, changed: typeof d.expectedOwner === "string" };
}

/**
 * Shown only after the archive was refused for someone else's live claim: says whose and until
 * when, and forces it only after a second, explicit confirmation (their claim then ends, recorded
 * in the claim history as forced), as `--force` / `force: true` do.
 */
export function ForceArchive({
  name,
  refusal,
  pending,
  onForce,
}: {
  name: string;
  /** `changed`: the claim changed hands since the refusal shown before (confirm it afresh). */
  refusal: ClaimRefusal;
  pending: boolean;
  onForce: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  // A new owner (or lease) must be confirmed afresh.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the refusal changes
  useEffect(() => setConfirming(false), [refusal.owner, refusal.expiresAt]);
  useEffect(() => {
    if (confirming)
      box.current?.querySelector<HTMLElement>('[data-testid="archive-force-confirm"]')?.focus();
  }, [confirming]);
  return (
    <div
      ref={box}
      role="alert"
      className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm break-words text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200"
      data-testid="archive-claimed"
      data-owner={refusal.owner}
    >
      <p className="flex items-start gap-2">
        <Lock className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
        <span>
          {refusal.changed ? "The claim changed meanwhile: " : "Not archived: "}
          <strong className="break-all">{name}</strong> is claimed by{" "}
          <strong className="break-all" data-testid="archive-claimed-owner">
            {refusal.owner}
          </strong>{" "}
          until{" "}
          <span data-testid="archive-claimed-until">
            <LocalTime at={refusal.expiresAt} />
          </span>{" "}
          (<RelativeTime at={refusal.expiresAt} format={leaseLeft} stable={(u) => u} />
          ). Nothing was moved.
        </span>
      </p>
      <p>
        Archiving it now ends {refusal.owner}'s claim: they may still be working on it. Ask them
        first, or wait until they release it or the lease runs out.
      </p>
      {!confirming ? (
        <Button
          size="sm"
          variant="outline"
          onClick={() => setConfirming(true)}
          disabled={pending}
          data-testid="archive-force"
        >
          Archive anyway…
        </Button>
      ) : (
        <div className="space-y-2 border-t border-amber-300 pt-2 dark:border-amber-800">
          <p className="font-medium" id="archive-force-question">
            End {refusal.owner}'s claim and archive {name}? This is recorded in the claim history as
            a forced archive.
          </p>
          <div className="flex flex-wrap gap-2">
            <Button
              size="sm"
              variant="ghost"
              onClick={() => setConfirming(false)}
              disabled={pending}
              data-testid="archive-force-cancel"
            >
              Keep the claim
            </Button>
            <Button
              size="sm"
              variant="destructive"
              className="h-auto min-h-8 max-w-full py-1 break-all"
              aria-describedby="archive-force-question"
              onClick={onForce}
              disabled={pending}
              data-testid="archive-force-confirm"
            >
              {pending ? "Archiving…" : `End ${refusal.owner}'s claim and archive`}
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}

/** "lease ends in 9 min" / "lease ended" */
function leaseLeft(at: Date | string): string {
  const s = Math.round((new Date(at).getTime() - Date.now()) / 1000);
  if (s <= 0) return "lease ended";
  if (s < 60) return `lease ends in ${s} s`;
  if (s < 3600) return `lease ends in ${Math.round(s / 60)} min`;
  return `lease ends in ${Math.round(s / 3600)} h`;
}
