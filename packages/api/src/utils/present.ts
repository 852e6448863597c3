/**
 * The value, or a clear internal error when it is missing. For what the code guarantees but the
 * types cannot see (a row from `INSERT … RETURNING`, a key just put in a map): a broken guarantee
 * fails here, with its name, instead of as a TypeError further on.
 */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`internal: ${what} is missing`);
  return value;
}
