/** Error codes the services raise; routers map them to tRPC codes, the CLI prints the message. */
export type SpecsyncErrorCode = "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "PAYLOAD_TOO_LARGE" | "FORBIDDEN" | "IO_ERROR";

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
  // drizzle wraps driver errors as "Failed query: <sql>"; the driver's own message is the useful part.
  if (err.message.startsWith("Failed query:") && err.cause instanceof Error) return `database error: ${err.cause.message}`;
  return err.message;
}
