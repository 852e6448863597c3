import { Lock, TriangleAlert } from "lucide-react";
import { Badge } from "~/components/ui/badge";
import { RelativeTime } from "~/components/ui/time";

/** "claimed 3 min ago" */
export function claimedAgo(at: Date | string): string {
  const s = Math.max(0, Math.round((Date.now() - new Date(at).getTime()) / 1000));
  if (s < 60) return "claimed just now";
  if (s < 3600) return `claimed ${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `claimed ${Math.floor(s / 3600)} h ago`;
  return `claimed ${Math.floor(s / 86400)} d ago`;
}

/** Who holds the change (a live claim), and since when. */
export function ClaimBadge({
  claimedBy,
  claimedAt,
}: {
  claimedBy: string | null;
  claimedAt: Date | string | null;
}) {
  if (!claimedBy || !claimedAt) return null;
  return (
    // An owner is any name up to 200 characters, often one unbroken token (agent ids): it wraps
    // instead of widening the page.
    <span
      className="inline-flex max-w-full flex-wrap items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400"
      data-testid="claim-badge"
    >
      <Badge
        tone="violet"
        title={`claimed by ${claimedBy}`}
        className="max-w-full whitespace-normal wrap-anywhere"
      >
        <Lock className="mr-1 h-3 w-3 shrink-0" aria-hidden />
        {claimedBy}
      </Badge>
      <RelativeTime at={claimedAt} format={claimedAgo} stable={(utc) => `claimed ${utc}`} />
    </span>
  );
}

/** The list's warning: this change touches requirements other active changes touch too. */
export function OverlapWarning({ names }: { names: string[] | undefined }) {
  if (!names?.length) return null;
  return (
    <span
      className="inline-flex items-center gap-1 text-xs text-amber-700 dark:text-amber-400"
      title={`touches the same requirements as ${names.join(", ")}`}
      data-testid="overlap-warning"
    >
      <TriangleAlert className="h-3.5 w-3.5" aria-hidden />
      overlaps {names.length === 1 ? names[0] : `${names.length} changes`}
    </span>
  );
}
