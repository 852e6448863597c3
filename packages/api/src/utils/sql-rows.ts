/**
 * Rows of a drizzle `execute()` result: postgres.js returns the rows array, PGlite a `{ rows }`
 * object.
 */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
