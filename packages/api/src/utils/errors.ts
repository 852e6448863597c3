/**
 * Error codes the services raise. One middleware in trpc.ts maps them to tRPC codes (and keeps their
 * message and details for the caller), the MCP adapter to `isError` results, the CLI prints the message.
 */
export type SpecsyncErrorCode =
  | "BAD_REQUEST"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "FORBIDDEN"
  | "IO_ERROR"
  | "PRECONDITION_FAILED"
  | "TIMEOUT";

export class SpecsyncError extends Error {
  constructor(
    readonly code: SpecsyncErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "SpecsyncError";
  }
}

export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // drizzle wraps driver errors as "Failed query: <sql>"; the driver's own message is the useful
  // part.
  if (err.message.startsWith("Failed query:") && err.cause instanceof Error)
    return `database error: ${err.cause.message}`;
  return err.message;
}

/**
 * Driver and server codes that mean "the database is not reachable right now", not "the query is
 * wrong".
 */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown (server stopping, or pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up)
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);

/** True when `err` (or what it wraps) says the database is unreachable: worth retrying later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    const errors = (e as { errors?: unknown }).errors; // AggregateError of a failed connect to several addresses
    if (Array.isArray(errors) && errors.some((x) => isDatabaseUnavailable(x))) return true;
  }
  return false;
}

/** Unique violation, deadlock, serialization failure: another writer got there first. */
const RACE_CODES = new Set(["23505", "40P01", "40001"]);

/** True when `err` (or what it wraps) lost a race with a concurrent writer: a fresh read may pass. */
export function isConcurrentWriteRace(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && RACE_CODES.has(code)) return true;
  }
  return false;
}
