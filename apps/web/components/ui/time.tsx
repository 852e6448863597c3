"use client";
import { useSyncExternalStore } from "react";
import { timeAgo } from "~/lib/utils";

// Re-render relative times now and then; the snapshot is the current 15-second slot.
const SLOT_MS = 15_000;
const subscribe = (onChange: () => void) => {
  const timer = setInterval(onChange, SLOT_MS);
  return () => clearInterval(timer);
};
const slot = () => Math.floor(Date.now() / SLOT_MS);
const serverSlot = () => null;

/**
 * Null on the server and while hydrating, the current slot after: what the server rendered (its
 * clock, its timezone, its locale) is never compared with the browser's own reading of the time.
 */
function useClientClock(): number | null {
  return useSyncExternalStore(subscribe, slot, serverSlot);
}

const toDate = (d: Date | string) => (typeof d === "string" ? new Date(d) : d);

/** The same text on every machine: `2026-11-28 02:46 UTC`. */
export function utcText(d: Date | string): string {
  const date = toDate(d);
  if (Number.isNaN(date.getTime())) return "?";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * "5m ago" in the browser; the UTC time in the server render and during hydration (React error
 * #418 otherwise: the seconds between the two renders, or another timezone, change the text).
 */
export function RelativeTime(props: {
  at: Date | string | null | undefined;
  format?: (at: Date | string) => string;
  /** The server's text, from the UTC time (default: the UTC time itself). */
  stable?: (utc: string) => string;
  className?: string;
}) {
  const clock = useClientClock();
  const { at } = props;
  if (!at) return <>{timeAgo(at)}</>;
  if (Number.isNaN(toDate(at).getTime())) return <>?</>;
  const iso = toDate(at).toISOString();
  return (
    <time
      dateTime={iso}
      data-testid="relative-time"
      className={props.className}
      title={clock === null ? utcText(at) : toDate(at).toLocaleString()}
    >
      {clock === null ? (props.stable ?? String)(utcText(at)) : (props.format ?? timeAgo)(at)}
    </time>
  );
}

/** The date and time in the browser's timezone and locale; the UTC time until then. */
export function LocalTime({ at }: { at: Date | string | null | undefined }) {
  const clock = useClientClock();
  if (!at || Number.isNaN(toDate(at).getTime())) return <>?</>;
  return (
    <time dateTime={toDate(at).toISOString()}>
      {clock === null ? utcText(at) : toDate(at).toLocaleString()}
    </time>
  );
}
