/** A row that is gone: the API names it by its id, which tells a person nothing. */
const GONE =
  /\b(?:spec|change) [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} not found\b/i;

export const REMOVED_ON_DISK =
  "This change or spec is no longer on disk: its folder was removed (deleted, or moved away by a " +
  "git checkout or stash).";

/** True when the error says the row is gone (removed on disk), not that the request was bad. */
export function isGone(err: unknown): boolean {
  const e = err as { message?: unknown; data?: { code?: unknown } } | null;
  return e?.data?.code === "NOT_FOUND" || GONE.test(String(e?.message ?? ""));
}

/** An error's message for a person: a raw "spec <uuid> not found" becomes a sentence. */
export function humanError(err: unknown): string {
  const message = String((err as { message?: unknown } | null)?.message ?? err);
  return GONE.test(message) ? REMOVED_ON_DISK : message;
}
