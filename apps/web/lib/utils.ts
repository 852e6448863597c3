import { type ClassValue, clsx } from "clsx";
import { twMerge } from "tailwind-merge";

export function cn(...inputs: ClassValue[]) {
  return twMerge(clsx(inputs));
}

export function timeAgo(d: Date | string | null | undefined): string {
  if (!d) return "never";
  const date = typeof d === "string" ? new Date(d) : d;
  const s = Math.round((Date.now() - date.getTime()) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return date.toLocaleDateString();
}

export const STATUS_LABEL: Record<string, string> = {
  proposing: "Proposing",
  approved: "Approved",
  assigned: "Assigned",
  in_progress: "In progress",
  review: "Review",
  applied: "Applied",
  archived: "Archived",
};

/** Bidi controls: they reorder the text around them (U+202E shows `a‮txt.exe` as `aexe.txt`). */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/**
 * A folder name or path as shown: its bidi controls made visible (`⟦U+202E⟧`), so a crafted name
 * cannot pass for another (`add-‮txt.exe` for `add-exe.txt`) in a list or a confirmation.
 */
export function visibleName(name: string): string {
  return name.replace(
    BIDI_CONTROLS,
    (c) => `⟦U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}⟧`,
  );
}
