/**
 * The value, or an error naming what the bench expected to be there (a row, a sample, an
 * option).
 */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`bench: ${what} is missing`);
  return value;
}
